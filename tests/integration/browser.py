#!/usr/bin/python3
# browser.py - what the Selenium tests share (ackpage_browser.py,
# board_browser.py): Debian's headless Chromium with its chromedriver,
# the console kept so a Content-Security-Policy violation shows up, and
# the "name=value" lines the shell tests read.  Each test imports it from
# its own directory (Python puts a script's directory first on sys.path).
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

# Seconds for a page load, a script or a wait on the page.
TIMEOUT = 30


def out(name, value):
    """Print one fact for the shell test; newlines would split it."""
    print("%s=%s" % (name, str(value).replace("\n", " | ")), flush=True)


def start(profile, width, height):
    """Start Chromium headless with its profile (and chromedriver's log)
    in PROFILE; raises WebDriverException when it cannot start.  The
    caller owns the driver and quits it."""
    opts = Options()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--disable-dev-shm-usage", "--disable-background-networking",
              "--no-first-run", "--window-size=%d,%d" % (width, height),
              "--user-data-dir=" + profile):
        opts.add_argument(a)
    # Console messages, so that a Content-Security-Policy violation (an
    # inline style the page's own policy refused) shows up.
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    svc = Service(executable_path="/usr/bin/chromedriver",
                  log_path=profile + "/chromedriver.log")
    d = webdriver.Chrome(service=svc, options=opts)
    d.set_page_load_timeout(TIMEOUT)
    d.set_script_timeout(TIMEOUT)
    return d


def console_errors(d, prefix):
    """Report the console's errors since the last call as PREFIX.console_errors
    (their count) and one PREFIX.console line each."""
    errs = [e["message"] for e in d.get_log("browser")
            if e.get("level") == "SEVERE"]
    out(prefix + ".console_errors", len(errs))
    for e in errs:
        out(prefix + ".console", e)
