"""The console in a real headless Chromium (Debian's, driven through chromedriver by
selenium): a bad password shows an error and sets no cookie; a login shows the project's
instances; an instance page draws charts with data points, the events and the top queries;
another project's instance is not found; logging out ends the session. A full-page
screenshot is taken (STRONGROOM_CONSOLE_SCREENSHOT=docs/console.png refreshes the README's).
"""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import delete

from strongroom.store.models import MetricSample
from tests.functional.console.console_site import PASSWORD, Site

pytestmark = pytest.mark.functional

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
# Loopback only: no proxy answers (port 9 is discard) and no name resolves, so the browser
# cannot reach anything but the servers this test started.
OFFLINE = [
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--no-pings",
]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.fail("chromium and chromium-driver are missing: run scripts/bootstrap")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--window-size=1280,900",
        f"--user-data-dir={tmp_path / 'chromium'}",
        *OFFLINE,
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver: WebDriver, condition, timeout: float = 15) -> object:
    """Until `condition` holds; the page redraws as it refreshes, so an element found may go
    stale before it is read: that counts as "not yet"."""
    waiting = WebDriverWait(
        driver, timeout, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,)
    )
    return waiting.until(lambda d: condition(d))


def texts(driver: WebDriver, selector: str) -> list[str]:
    """The texts of the elements matching `selector`, read in one go in the page."""
    script = "return [...document.querySelectorAll(arguments[0])].map((e) => e.textContent);"
    found: list[str] = driver.execute_script(script, selector)
    return found


def submit_login(driver: WebDriver, password: str) -> None:
    for name, value in (("user", "demo"), ("password", password), ("project", "demo")):
        field = driver.find_element(By.ID, name)
        field.clear()
        field.send_keys(value)
    driver.find_element(By.CSS_SELECTOR, "#login-form button").click()


def points(driver: WebDriver, chart: str) -> int:
    return len(driver.find_elements(By.CSS_SELECTOR, f"#chart-{chart} svg circle.point"))


def no_data(driver: WebDriver) -> list[str]:
    return [t for t in texts(driver, "#charts .chart .empty") if t == "no data yet"]


def screenshot(driver: WebDriver, path: Path) -> None:
    """The whole page, not just the window."""
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
    )
    path.write_bytes(base64.b64decode(shot["data"]))


def test_log_in_list_open_an_instance_and_see_its_charts(
    site: Site, browser: WebDriver, tmp_path: Path
) -> None:
    browser.get(site.url + "/console")
    assert browser.current_url == site.url + "/console/login"  # not logged in: the login page

    submit_login(browser, "not-the-password")
    error = wait(browser, lambda d: d.find_element(By.ID, "login-error").text)
    assert "not right" in str(error)
    assert browser.get_cookies() == [] and browser.current_url.endswith("/console/login")

    submit_login(browser, PASSWORD)
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#instances tbody tr"))
    rows = texts(browser, "#instances tbody tr")
    assert len(rows) == 1 and "orders" in rows[0] and "ACTIVE" in rows[0]
    assert "mariadb 10.11" in rows[0] and "sr.small" in rows[0]
    assert "theirs" not in browser.page_source
    (cookie,) = browser.get_cookies()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
    assert browser.execute_script("return document.cookie") == ""  # the script cannot read it

    wait(browser, lambda d: d.find_element(By.LINK_TEXT, "orders").click() or True)  # may redraw
    wait(
        browser,
        lambda d: points(d, "memory") > 0 and d.find_elements(By.CSS_SELECTOR, "#events tbody tr"),
    )
    for chart in ("cpu", "memory", "storage", "connections", "qps"):
        assert points(browser, chart) >= 60, chart  # an hour of samples, one point per 30 s
    assert any(t.endswith("MiB") for t in texts(browser, "#chart-memory .tick.y"))
    assert browser.find_element(By.ID, "chart-lag").get_attribute("hidden")  # no replica
    events = browser.find_element(By.ID, "events").text
    assert "ACTIVE" in events or "active" in events.lower()
    assert browser.find_elements(By.CSS_SELECTOR, "#top-queries tbody tr")
    screenshot(browser, tmp_path / "console.png")
    assert (tmp_path / "console.png").stat().st_size > 10_000
    if target := os.environ.get("STRONGROOM_CONSOLE_SCREENSHOT"):
        shutil.copyfile(tmp_path / "console.png", target)

    browser.find_element(By.CSS_SELECTOR, '#ranges button[data-seconds="604800"]').click()
    wait(browser, lambda d: 0 < points(d, "cpu") < 60)  # a week: coarser steps, same samples

    with site.plane.db.write() as s:  # an instance without samples yet
        s.execute(delete(MetricSample).where(MetricSample.instance_id == site.instance_id))
    browser.refresh()
    wait(browser, lambda d: len(no_data(d)) >= 5)
    assert points(browser, "cpu") == 0 and browser.find_elements(
        By.CSS_SELECTOR, "#events tbody tr"
    )

    browser.get(f"{site.url}/console/instances/{site.others_instance_id}")
    wait(browser, lambda d: d.find_element(By.ID, "instance-name").text == "Instance not found")
    status = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then((r) => done(r.status));",
        f"/console/api/v1.0/{site.demo.project_id}/instances/{site.others_instance_id}",
    )
    assert status == 404

    browser.get(site.url + "/console")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#instances tbody tr"))
    logged = [entry["message"] for entry in browser.get_log("browser")]
    assert not [m for m in logged if "Content Security Policy" in m], logged  # nothing inline
    browser.find_element(By.ID, "logout").click()
    wait(browser, lambda d: d.current_url.endswith("/console/login"))
    assert browser.get_cookies() == []
    browser.get(site.url + "/console")
    assert browser.current_url.endswith("/console/login")
