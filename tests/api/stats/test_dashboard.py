"""The dashboard in a real browser: headless Chromium (Debian's package) against the app over HTTP.

Seeds a few reports through the API, serves the app with uvicorn on 127.0.0.1, signs in with a
dev token in the URL fragment (dev mode on loopback; password sign-in through the auth emulator
is covered by tests/api/console), and checks the charts, tables and ward map show the seeded
figures; a screenshot is saved in the test's tmp dir. Also checks that resident text can never
become markup.
"""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser import chromium
from tests.factories import apply_statistics, dev_token, file_report, resolve
from tests.live_server import live_server

POTHOLE = "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục <img src=x onerror=alert(1)>"
GARBAGE = "Rác sinh hoạt chất đống ven đường không ai thu gom"


@pytest.fixture
def served(settings):
    with live_server(settings) as url:
        yield url


@pytest.fixture
def browser():
    driver = chromium(1280, 2200)
    yield driver
    driver.quit()


@pytest.mark.slow  # a headless Chromium
def test_dashboard_renders_the_seeded_figures(client, served, browser, tmp_path):
    reports = [file_report(client, POTHOLE) for _ in range(3)] + [file_report(client, GARBAGE) for _ in range(2)]
    resolve(client, reports[0]["id"], "construction_dept")
    resolve(client, reports[3]["id"], "urenco")
    apply_statistics(client)

    browser.get(f"{served}/dashboard#dev_token={dev_token('leader-1', {'role': 'leadership'})}")
    WebDriverWait(browser, 20).until(lambda d: d.find_element(By.ID, "content").get_attribute("data-loaded") == "true")

    figure = {
        node.get_attribute("data-figure"): node.text for node in browser.find_elements(By.CSS_SELECTOR, "[data-figure]")
    }
    assert (figure["received"], figure["resolved"], figure["backlog"]) == ("5", "2", "3")
    assert figure["resolveOnTime"] == "100.0%" and figure["proofRate"] == "100.0%"  # the factory attaches a photo
    bars = browser.find_elements(By.CSS_SELECTOR, "[data-chart=trend] rect.bar")
    assert sum(int(bar.get_attribute("data-value")) for bar in bars) == 5
    backlog_line = browser.find_element(By.CSS_SELECTOR, "[data-chart=trend] path.line").get_attribute("data-values")
    assert backlog_line.split(",")[-1] == "3"
    rates = {
        bar.get_attribute("data-group"): bar.get_attribute("data-rate")
        for bar in browser.find_elements(By.CSS_SELECTOR, "[data-chart=ontime] rect")
    }
    assert rates == {"construction_dept": "1", "urenco": "1"}
    categories = [
        row.get_attribute("data-group") for row in browser.find_elements(By.CSS_SELECTOR, "#category-table tbody tr")
    ]
    assert categories[0] == "road_damage" and len(categories) == 2
    wards = browser.find_elements(By.CSS_SELECTOR, "#ward-table tbody tr")
    assert wards[0].find_elements(By.TAG_NAME, "td")[1].text == "3"  # all at Hoàn Kiếm lake: backlog 3
    outcomes = {
        row.get_attribute("data-group") for row in browser.find_elements(By.CSS_SELECTOR, "#rejection-table tbody tr")
    }
    assert outcomes == {"construction_dept", "urenco"}
    assert not browser.find_elements(By.CSS_SELECTOR, "main img")  # no text ever became markup
    assert browser.execute_script("return sessionStorage.getItem('phananh.session')")  # kept for this tab only
    assert "dev_token" not in browser.current_url  # taken out of the address bar at once
    outlines = browser.find_elements(By.CSS_SELECTOR, "#ward-map path.ward")
    assert len(outlines) == 126 and [
        w.get_attribute("data-value") for w in outlines if w.get_attribute("data-value")
    ] == ["5"]

    browser.find_element(By.ID, "language").click()
    WebDriverWait(browser, 20).until(lambda d: d.find_element(By.CSS_SELECTOR, "#h-headline").text == "Overview")
    WebDriverWait(browser, 20).until(
        lambda d: "Department of Construction" in d.find_element(By.ID, "agency-chart").text
    )
    browser.save_screenshot(str(tmp_path / "dashboard.png"))
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000


def test_dashboard_is_served_offline_with_a_strict_policy(client):
    page = client.get("/dashboard")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    assert "http" not in page.text.replace('name="viewport"', "")  # nothing fetched from elsewhere
    for asset in (
        "/dashboard/static/dashboard.js",
        "/dashboard/static/charts.js",
        "/dashboard/static/dashboard.css",
        "/web/static/session.js",
        "/web/static/wardmap.js",
        "/web/static/staff.css",
    ):
        response = client.get(asset)
        assert response.status_code == 200 and "innerHTML" not in response.text
    assert client.get("/dashboard/static/..%2Fservice.py").status_code == 404
