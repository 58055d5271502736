#!/usr/bin/python3
# board_browser.py - drive the coordinators' board (/board/) in a real
# headless Chromium (Debian's chromium + chromedriver through
# python3-selenium), as ackpage_browser.py does for the ack page: log in
# through the form, open every view, report what a person (and a screen
# reader) would meet, save a screenshot of each, run a command that
# changes the store and time how long the open page takes to show it.
# test_board.sh makes the assertions; this prints "name=value" lines.
#
#   board_browser.py BASE PROFILE_DIR PASSWORD SHOTS_DIR CAMPAIGN PARTY \
#       DEADLINE CMD...
#
# PARTY/DEADLINE name the matrix cell to watch while CMD (heraldctl
# submit ...) runs; CAMPAIGN/PARTY is also the unit page opened.  The
# Selenium set-up is browser.py's.  Exit 0 when the browser ran, 2 when it could not
# start, 1 when a step timed out.
import os
import subprocess
import sys
import time

from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from browser import TIMEOUT, console_errors, out, start
VIEWS = ("timeline", "submissions", "incidents", "channels")

# Run in the page: the lowest WCAG contrast ratio between the colour of
# any visible text and the background it sits on (the first opaque
# background up the tree; SVG text: its fill on the SVG's background).
CONTRAST_JS = r"""
function rgb(s) {
  var m = s.match(/rgba?\(([^)]+)\)/);
  if (!m) return null;
  var p = m[1].split(',').map(parseFloat);
  return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
}
function lin(v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }
function lum(c) { return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b); }
function ratio(a, b) { var x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); }
function bg(el) {
  for (; el; el = el.parentElement) {
    var c = rgb(getComputedStyle(el).backgroundColor);
    if (c && c.a > 0) return c;
  }
  return {r: 255, g: 255, b: 255, a: 1};
}
var worst = 99, what = '', n = 0;
var all = document.querySelectorAll('body *');
for (var i = 0; i < all.length; i++) {
  var el = all[i], own = false;
  for (var k = el.firstChild; k; k = k.nextSibling)
    if (k.nodeType === 3 && k.nodeValue.trim() !== '') own = true;
  if (!own || el.getClientRects().length === 0) continue;
  var st = getComputedStyle(el);
  if (st.visibility === 'hidden') continue;
  var svg = el instanceof SVGElement;
  var fg = rgb(svg ? st.fill : st.color);
  if (!fg) continue;
  var r = ratio(fg, bg(svg ? el.ownerSVGElement || el : el));
  n++;
  if (r < worst) { worst = r; what = el.tagName + ' "' + el.textContent.trim().slice(0, 20) + '" ' + (svg ? st.fill : st.color) + ' on ' + JSON.stringify(bg(el)); }
}
return [worst, what, n];
"""

# axe-core (tests/integration/fixtures/axe/), injected into the page,
# then run on the whole document: the violations of impact serious or
# critical as "rule-id: target, target" strings, and how many rules
# applied at all (so a run that checked nothing does not pass).
AXE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "fixtures", "axe", "axe.min.js")
AXE_RUN_JS = r"""
var done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(function (r) {
  var bad = [];
  r.violations.forEach(function (v) {
    if (v.impact !== 'serious' && v.impact !== 'critical') return;
    bad.push(v.id + ': ' + v.nodes.map(function (n) {
      return n.target.join(' '); }).join(', '));
  });
  done([bad, r.passes.length + r.violations.length]);
}, function (e) { done([['axe failed: ' + e], 0]); });
"""

# Form controls a person fills in without a label (for=, aria-label or
# an enclosing <label>); hidden inputs do not count.
LABELS_JS = r"""
var bad = [];
var els = document.querySelectorAll('input, select, textarea');
for (var i = 0; i < els.length; i++) {
  var e = els[i];
  if (e.type === 'hidden') continue;
  var ok = e.getAttribute('aria-label') || e.closest('label') ||
      (e.id && document.querySelector('label[for="' + e.id + '"]'));
  if (!ok) bad.push(e.name || e.id || e.tagName);
}
return bad.join(',');
"""


def accessibility(d, prefix, axe_src):
    """Run axe-core on the page: PREFIX.axe (the serious and critical
    violations, ";"-separated, empty when none) and PREFIX.axe_rules."""
    d.execute_script(axe_src)
    bad, rules = d.execute_async_script(AXE_RUN_JS)
    out(prefix + ".axe", "; ".join(bad))
    out(prefix + ".axe_rules", rules)


def matrix(d):
    cells = d.find_elements(By.CSS_SELECTOR, "table.matrix td[data-state]")
    got = []
    for c in cells:
        party = c.find_element(By.XPATH, "./..").get_attribute("data-party")
        got.append("%s/%s=%s" % (party, c.get_attribute("data-deadline"),
                                 c.get_attribute("data-state")))
    return ",".join(sorted(got))


def report_view(d, base, view, shots, axe_src):
    d.get(base + "/board/" + view)
    WebDriverWait(d, TIMEOUT).until(
        lambda x: x.execute_script("return document.readyState") ==
        "complete")
    p = view.split("?")[0]
    out(p + ".url", d.current_url)
    out(p + ".lang", d.find_element(By.TAG_NAME, "html")
        .get_attribute("lang"))
    h1 = d.find_elements(By.TAG_NAME, "h1")
    out(p + ".h1", h1[0].text if h1 else "")
    out(p + ".unlabelled", d.execute_script(LABELS_JS))
    worst, what, n = d.execute_script(CONTRAST_JS)
    out(p + ".contrast", "%.2f" % worst)
    out(p + ".contrast_worst", what)
    out(p + ".contrast_texts", n)
    out(p + ".css_applied", d.find_element(By.CSS_SELECTOR, "header.top")
        .value_of_css_property("background-color"))
    d.save_screenshot(os.path.join(shots, "board-%s.png" % p))
    console_errors(d, p)
    accessibility(d, p, axe_src)


def live_update(d, base, party, deadline, cmd):
    d.get(base + "/board/submissions")
    WebDriverWait(d, TIMEOUT).until(
        lambda x: x.execute_script(
            "var l = document.getElementById('live');"
            "return l && l.getAttribute('data-ready') === '1';"))
    out("matrix.before", matrix(d))
    sel = 'tr[data-party="%s"] td[data-deadline="%s"]' % (party, deadline)
    out("live.before", d.find_element(By.CSS_SELECTOR, sel)
        .get_attribute("data-state"))
    # A mark on this very page: a reload would wipe it.
    d.execute_script("window.__boardMark = 'kept';")
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    out("live.cmd_status", r.returncode)
    state = None
    while time.monotonic() - t0 < 10:
        # One script call: the live part is replaced under our feet.
        state = d.execute_script(
            "var c = document.querySelector(arguments[0]);"
            "return c ? c.getAttribute('data-state') : null;", sel)
        if state == "submitted":
            break
        time.sleep(0.1)
    out("live.after", state)
    out("live.seconds", "%.1f" % (time.monotonic() - t0))
    out("live.mark", d.execute_script("return window.__boardMark || ''"))
    out("live.text", d.find_element(By.CSS_SELECTOR, sel).text)
    out("matrix.after", matrix(d))


def first_column(d):
    return ",".join(e.get_attribute("data-k") for e in d.find_elements(
        By.CSS_SELECTOR, "table.matrix tbody th[scope=row]"))


def sorting(d):
    b = d.find_element(By.CSS_SELECTOR, "table.matrix thead button.sort")
    b.click()
    out("sort.asc", first_column(d))
    out("sort.aria", d.find_element(By.CSS_SELECTOR,
        "table.matrix thead th").get_attribute("aria-sort"))
    b.click()
    out("sort.desc", first_column(d))


def overflow(d):
    return d.execute_script("return document.documentElement.scrollWidth >"
                            " document.documentElement.clientWidth")


def viewport(d, width, height, scale):
    """Make the page's viewport exactly WIDTH x HEIGHT CSS pixels (a
    window's size would include the browser's own bars)."""
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": scale,
        "mobile": False})


def sizes(d, base, shots):
    # A phone (WeChat's browser on a 390 x 844 screen).
    viewport(d, 390, 844, 1)
    d.get(base + "/board/submissions")
    out("phone.overflow", overflow(d))
    d.save_screenshot(os.path.join(shots, "board-phone.png"))
    # 200% zoom of a 1280-wide window: 640 CSS pixels at scale 2.
    viewport(d, 640, 450, 2)
    d.get(base + "/board/timeline")
    out("zoom200.overflow", overflow(d))
    d.save_screenshot(os.path.join(shots, "board-zoom200.png"))
    # A 1080p wall screen.
    viewport(d, 1920, 1080, 1)
    d.get(base + "/board/submissions")
    out("wall.overflow", overflow(d))
    d.save_screenshot(os.path.join(shots, "board-wall.png"))
    d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def main():
    base, profile, password, shots, campaign, party, deadline = \
        sys.argv[1:8]
    cmd = sys.argv[8:]
    with open(AXE, encoding="utf-8") as f:
        axe_src = f.read()
    try:
        d = start(profile, 1280, 900)
    except WebDriverException as e:
        print("cannot start Chromium: %s" % e.msg, file=sys.stderr)
        return 2
    try:
        out("browser", d.capabilities.get("browserVersion", "?"))
        d.get(base + "/board/timeline")
        out("login.url", d.current_url)
        out("login.unlabelled", d.execute_script(LABELS_JS))
        d.save_screenshot(os.path.join(shots, "board-login.png"))
        console_errors(d, "login")
        accessibility(d, "login", axe_src)
        d.find_element(By.ID, "pw").send_keys(password)
        d.find_element(By.CSS_SELECTOR, "form.login button").click()
        WebDriverWait(d, TIMEOUT).until(
            lambda x: "/board/submissions" in x.current_url)
        out("login.after", d.current_url)
        for v in VIEWS:
            report_view(d, base, v, shots, axe_src)
        report_view(d, base, "unit?campaign=%s&id=%s" % (campaign, party),
                    shots, axe_src)
        live_update(d, base, party, deadline, cmd)
        sorting(d)
        sizes(d, base, shots)
        d.get(base + "/board/channels")
        d.find_element(By.CSS_SELECTOR, "form.logout button").click()
        WebDriverWait(d, TIMEOUT).until(
            lambda x: "/board/login" in x.current_url)
        d.get(base + "/board/submissions")
        out("logout.then", d.current_url)
    except TimeoutException:
        print("timed out at %s" % d.current_url, file=sys.stderr)
        return 1
    finally:
        d.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
