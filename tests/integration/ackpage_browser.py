#!/usr/bin/python3
# ackpage_browser.py - open an acknowledgement link in a real headless
# Chromium (Debian's chromium + chromedriver through python3-selenium),
# report what a person would see, click one button, and report the page
# that comes back.  test_ackpage.sh makes the assertions; this only
# drives the browser and prints facts as "name=value" lines.
#
#   ackpage_browser.py URL PROFILE_DIR BUTTON_TEXT
#
# With $ACKPAGE_SHOTS set to a directory, both pages are also saved there
# as get.png and post.png, to look at by hand.
#
# The driver's set-up is browser.py's, shared with board_browser.py.
#
# Exit status 0 when the browser ran (whatever it saw), 2 when it could
# not start (the reason on stderr), 1 when a step timed out.
import os
import sys

from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from browser import TIMEOUT, console_errors, out, start


def buttons(d):
    return [b for b in d.find_elements(By.TAG_NAME, "button")
            if b.is_displayed()]


def report_page(d, prefix):
    out(prefix + ".title", d.title)
    out(prefix + ".text", d.find_element(By.TAG_NAME, "body").text)
    vp = d.find_elements(By.CSS_SELECTOR, "meta[name=viewport]")
    out(prefix + ".viewport", vp[0].get_attribute("content") if vp else "")
    out(prefix + ".buttons", ",".join(b.text for b in buttons(d)))
    at = d.find_elements(By.CSS_SELECTOR, "time.at")
    out(prefix + ".at", at[0].text if at else "")
    # The inline stylesheet applied (CSP allowed it): the card's
    # background is white, the page's a light grey.
    out(prefix + ".body_bg", d.find_element(By.TAG_NAME, "body")
        .value_of_css_property("background-color"))
    shots = os.environ.get("ACKPAGE_SHOTS")
    if shots:
        d.save_screenshot(os.path.join(shots, prefix + ".png"))
    console_errors(d, prefix)


def main():
    url, profile, label = sys.argv[1], sys.argv[2], sys.argv[3]
    try:
        d = start(profile, 390, 844)
    except WebDriverException as e:
        sys.stderr.write("browser did not start: %s\n" % e.msg)
        return 2
    try:
        out("browser", d.capabilities.get("browserVersion", "?"))
        d.get(url)
        report_page(d, "get")
        target = [b for b in buttons(d) if b.text == label]
        out("clicked", len(target) == 1)
        if len(target) != 1:
            return 0
        before = d.find_element(By.TAG_NAME, "html")
        target[0].click()
        # The answer replaces the document: wait for the old one to go
        # and the new one to say what happened.
        WebDriverWait(d, TIMEOUT).until(
            lambda drv: drv.find_element(By.TAG_NAME, "html").id !=
            before.id and drv.find_elements(By.TAG_NAME, "h1"))
        out("post.url", d.current_url)
        report_page(d, "post")
        return 0
    except TimeoutException as e:
        sys.stderr.write("timed out: %s\n" % e.msg)
        return 1
    finally:
        d.quit()


if __name__ == "__main__":
    sys.exit(main())
