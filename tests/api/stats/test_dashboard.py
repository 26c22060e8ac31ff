"""The dashboard in a real browser: headless Chromium (Debian's package) against the app over HTTP.

Seeds a few reports through the API, serves the app with uvicorn on 127.0.0.1, signs in by
pasting a dev token, and checks the charts and tables show the seeded figures; a screenshot
is saved in the test's tmp dir. Also checks that resident text can never become markup.
"""

import threading
import time

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from api.app import create_app
from api.embedded import free_port
from tests.factories import apply_statistics, dev_token, file_report, resolve

POTHOLE = "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục <img src=x onerror=alert(1)>"
GARBAGE = "Rác sinh hoạt chất đống ven đường không ai thu gom"


@pytest.fixture
def served(settings):
    """The app on a real port (uvicorn in a thread), for the browser."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,2200"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    yield driver
    driver.quit()


@pytest.mark.slow  # a headless Chromium
def test_dashboard_renders_the_seeded_figures(client, served, browser, tmp_path):
    reports = [file_report(client, POTHOLE) for _ in range(3)] + [file_report(client, GARBAGE) for _ in range(2)]
    resolve(client, reports[0]["id"], "construction_dept")
    resolve(client, reports[3]["id"], "urenco")
    apply_statistics(client)

    browser.get(f"{served}/dashboard")
    browser.find_element(By.ID, "token").send_keys(dev_token("leader-1", {"role": "leadership"}))
    browser.find_element(By.ID, "load").click()
    WebDriverWait(browser, 20).until(lambda d: d.find_element(By.ID, "content").get_attribute("data-loaded") == "true")

    figure = {node.get_attribute("data-figure"): node.text for node in browser.find_elements(By.CSS_SELECTOR, "[data-figure]")}
    assert (figure["received"], figure["resolved"], figure["backlog"]) == ("5", "2", "3")
    assert figure["resolveOnTime"] == "100.0%" and figure["proofRate"] == "100.0%"  # the factory attaches a photo
    bars = browser.find_elements(By.CSS_SELECTOR, "[data-chart=trend] rect.bar")
    assert sum(int(bar.get_attribute("data-value")) for bar in bars) == 5
    backlog_line = browser.find_element(By.CSS_SELECTOR, "[data-chart=trend] path.line").get_attribute("data-values")
    assert backlog_line.split(",")[-1] == "3"
    rates = {bar.get_attribute("data-group"): bar.get_attribute("data-rate")
             for bar in browser.find_elements(By.CSS_SELECTOR, "[data-chart=ontime] rect")}
    assert rates == {"construction_dept": "1", "urenco": "1"}
    categories = [row.get_attribute("data-group") for row in browser.find_elements(By.CSS_SELECTOR, "#category-table tbody tr")]
    assert categories[0] == "road_damage" and len(categories) == 2
    wards = browser.find_elements(By.CSS_SELECTOR, "#ward-table tbody tr")
    assert wards[0].find_elements(By.TAG_NAME, "td")[1].text == "3"  # all at Hoàn Kiếm lake: backlog 3
    outcomes = {row.get_attribute("data-group") for row in browser.find_elements(By.CSS_SELECTOR, "#rejection-table tbody tr")}
    assert outcomes == {"construction_dept", "urenco"}
    assert not browser.find_elements(By.CSS_SELECTOR, "main img")  # no text ever became markup
    assert browser.execute_script("return sessionStorage.getItem('phananh.token')")  # kept for this tab only

    browser.find_element(By.ID, "language").click()
    WebDriverWait(browser, 20).until(lambda d: d.find_element(By.CSS_SELECTOR, "#h-headline").text == "Overview")
    WebDriverWait(browser, 20).until(
        lambda d: "Department of Construction" in d.find_element(By.ID, "agency-chart").text)
    browser.save_screenshot(str(tmp_path / "dashboard.png"))
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000


def test_dashboard_is_served_offline_with_a_strict_policy(client):
    page = client.get("/dashboard")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    assert "http" not in page.text.replace('name="viewport"', "")  # nothing fetched from elsewhere
    for asset in ("dashboard.js", "charts.js", "dashboard.css"):
        response = client.get(f"/dashboard/static/{asset}")
        assert response.status_code == 200 and "innerHTML" not in response.text
    assert client.get("/dashboard/static/..%2Fservice.py").status_code == 404
