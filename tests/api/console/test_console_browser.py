"""The staff console in a real browser, signed in through the Firebase Auth emulator.

Staff accounts are created in the emulator and given their roles with `phananh staff grant`;
each test signs in through the console's own form (Identity Toolkit REST, as in production),
works the queue and a report against the app served over HTTP (photos uploaded through the
page's own file input, reply templates, rejection reasons), and signs out. Screenshots of the
queue, the map, a report, the resolve form (proof photo) and the reject form are written to a
temporary folder, or to ``CONSOLE_SCREENSHOTS_DIR`` when set: ``CONSOLE_SCREENSHOTS_DIR=docs``
refreshes the README's images (a test run never changes tracked files by itself).
"""

import functools
import os
import tempfile
from pathlib import Path

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser import chromium
from tests.factories import apply_statistics, file_report, image_bytes, new_uid
from tests.live_server import live_server

POTHOLE = "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục"
GARBAGE = "Rác sinh hoạt chất đống ven đường không ai thu gom"
SUNKEN = "Mặt đường lún sụt thành hố sâu trước cổng chợ, ô tô đi qua rất nguy hiểm"
PASSWORD = "mat-khau-123"
pytestmark = pytest.mark.slow  # a headless Chromium, the auth emulator


@functools.cache
def shots() -> Path:
    """Where the screenshots go (see the module docstring), made on first use."""
    return Path(os.environ.get("CONSOLE_SCREENSHOTS_DIR") or tempfile.mkdtemp(prefix="console-screenshots-"))


@pytest.fixture
def settings(settings, auth_emulator):
    """Every app of these tests (and the emulator variable their dev mode sets) on the emulator."""
    return auth_emulator.settings(settings)


@pytest.fixture
def console(settings):
    with live_server(settings) as url:
        yield url


@pytest.fixture
def browser():
    driver = chromium()
    yield driver
    driver.quit()


def wait(driver, condition, timeout=30):
    """Until the condition holds; an element the page redrew meanwhile (stale) means look again."""
    return WebDriverWait(driver, timeout, ignored_exceptions=[StaleElementReferenceException]).until(condition)


def sign_in(driver, url, email):
    driver.get(f"{url}/console")
    wait(driver, lambda d: d.find_element(By.ID, "email").is_displayed())
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "signin-submit").click()
    wait(driver, lambda d: d.find_element(By.ID, "workspace").is_displayed())
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#queue tbody tr[data-code], #queue tbody tr.empty"))


def queue_codes(driver):
    return {
        row.get_attribute("data-code"): row.get_attribute("data-status")
        for row in driver.find_elements(By.CSS_SELECTOR, "#queue tbody tr[data-code]")
    }


def count(driver, status):
    return driver.find_element(By.CSS_SELECTOR, f"[data-count={status}]").text.rsplit(" ", 1)[-1]


def open_report(driver, code):
    driver.find_element(By.CSS_SELECTOR, f"#queue tr[data-code='{code}']").click()
    wait(driver, lambda d: d.find_element(By.ID, "detail-title").text == code)


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "sau-khi-va.jpg"
    path.write_bytes(image_bytes(seed=7))
    return str(path)


def attach(driver, picker, path, count):
    """Choose a file in a form's photo picker; wait until the uploads show as thumbnails."""
    driver.find_element(By.ID, f"{picker}-files").send_keys(path)
    wait(
        driver,
        lambda d: (
            len(d.find_elements(By.CSS_SELECTOR, f"[data-picked={picker}] figure[data-attachment] img[src^='blob:']"))
            == count
        ),
    )


def pick_template(driver):
    """The first reply template for the chosen status: it fills the public note, nothing is sent."""
    Select(driver.find_element(By.ID, "status-template")).select_by_index(1)
    return driver.find_element(By.ID, "status-public").get_attribute("value")


def screenshot(driver, name, form_id):
    """The page with a form of the open report at the top of the report pane."""
    driver.execute_script(f"document.getElementById('{form_id}').scrollIntoView(); window.scrollTo(0, 0)")
    driver.save_screenshot(str(shots() / name))


def save(driver, form_id):
    """Submit an action form; the notice the console shows for it (the previous one removed first)."""
    driver.execute_script("document.getElementById('detail-notice')?.remove()")
    driver.find_element(By.CSS_SELECTOR, f"#{form_id} button[type=submit]").click()
    wait(driver, lambda d: d.find_elements(By.ID, "detail-notice"))
    return driver.find_element(By.ID, "detail-notice")


def test_agency_staff_resolve_their_report_with_a_photo_and_a_conflict_keeps_what_they_typed(
    client, console, auth_emulator, browser, monkeypatch, photo
):
    author = new_uid()
    pothole = file_report(client, POTHOLE, uid=author)  # routed to construction_dept
    garbage = file_report(client, GARBAGE)  # routed to urenco: not theirs
    auth_emulator.staff(monkeypatch, "can.bo@xaydung.hanoi.gov.vn", "agency_staff", "construction_dept")

    sign_in(browser, console, "can.bo@xaydung.hanoi.gov.vn")
    assert browser.find_element(By.ID, "user-role").get_attribute("data-role") == "agency_staff"
    assert queue_codes(browser) == {pothole["code"]: "assigned"}
    assert garbage["code"] not in browser.page_source
    assert not browser.find_element(By.ID, "agency-filter").is_displayed()  # their agency only
    assert count(browser, "assigned") == "1"
    browser.save_screenshot(str(shots() / "console-queue.png"))

    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("j")
    body.send_keys("\n")  # Enter opens the selected report
    wait(browser, lambda d: d.find_element(By.ID, "detail-title").text == pothole["code"])
    assert author not in browser.page_source  # never the resident's identity
    Select(browser.find_element(By.ID, "status-target")).select_by_value("in_progress")
    browser.find_element(By.ID, "status-internal").send_keys("Đội 3 ra hiện trường chiều nay")
    assert "ok" in save(browser, "act-status").get_attribute("class")
    wait(browser, lambda d: queue_codes(d) == {pothole["code"]: "in_progress"})
    wait(browser, lambda d: count(d, "in_progress") == "1" and count(d, "assigned") == "0")
    assert "NỘI BỘ" in browser.find_element(By.CSS_SELECTOR, "[data-section=history]").text
    browser.execute_script("document.getElementById('detail').scrollTop = 0")
    browser.save_screenshot(str(shots() / "console-report.png"))

    second = chromium()  # a colleague moves the same report first
    try:
        sign_in(second, console, "can.bo@xaydung.hanoi.gov.vn")
        open_report(second, pothole["code"])
        Select(second.find_element(By.ID, "priority-value")).select_by_value("urgent")
        second.find_element(By.ID, "priority-reason").send_keys("Gần trường học")
        assert "ok" in save(second, "act-priority").get_attribute("class")
    finally:
        second.quit()

    # picked, edited and uploaded on the stale version
    Select(browser.find_element(By.ID, "status-target")).select_by_value("resolved")
    reply = pick_template(browser)
    assert reply.startswith(f"Mặt đường tại vị trí phản ánh {pothole['code']}")  # road_damage's own, filled in
    browser.find_element(By.ID, "status-public").send_keys(" Đội 3 đã vá.")
    attach(browser, "status-photos", photo, 1)
    notice = save(browser, "act-status")
    assert "conflict" in notice.get_attribute("class") and "mức độ" in notice.text
    assert browser.find_element(By.ID, "status-public").get_attribute("value") == f"{reply} Đội 3 đã vá."
    kept = browser.find_elements(By.CSS_SELECTOR, "[data-picked=status-photos] figure[data-attachment]")
    assert len(kept) == 1  # the uploaded photo is kept too
    assert "Khẩn" in browser.find_element(By.ID, "detail").text  # the reloaded report
    kept[0].find_element(By.CSS_SELECTOR, "button.remove").click()
    notice = save(browser, "act-status")  # a road report is not resolved without a photo of the result
    assert "error" in notice.get_attribute("class") and "ít nhất một ảnh" in notice.text
    assert "bắt buộc" in browser.find_element(By.CSS_SELECTOR, "#act-status .picker").text
    attach(browser, "status-photos", photo, 1)
    screenshot(browser, "console-resolve.png", "act-status")
    assert "ok" in save(browser, "act-status").get_attribute("class")  # resolved on the fresh version, with proof
    wait(browser, lambda d: queue_codes(d) == {})
    assert "Đội 3 đã vá." in browser.find_element(By.CSS_SELECTOR, "[data-section=resolution]").text
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-section=resolution] img[src^='blob:']"))

    browser.find_element(By.ID, "note-text").send_keys("Ảnh hiện trường sau một ngày")  # a note with a photo
    attach(browser, "note-photos", photo, 1)
    assert "ok" in save(browser, "act-note").get_attribute("class")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-section=notes] li.note img[src^='blob:']"))

    browser.find_element(By.ID, "signout").click()
    wait(browser, lambda d: d.find_element(By.ID, "signin").is_displayed())
    assert browser.execute_script("return sessionStorage.getItem('phananh.session')") is None
    assert not browser.find_element(By.ID, "workspace").is_displayed()


def test_a_triage_officer_sees_every_agency_on_the_map(client, console, auth_emulator, browser, monkeypatch):
    reports = [file_report(client, POTHOLE), file_report(client, GARBAGE)]
    auth_emulator.staff(monkeypatch, "tiep.nhan@hanoi.gov.vn", "triage_officer")

    sign_in(browser, console, "tiep.nhan@hanoi.gov.vn")
    assert set(queue_codes(browser)) == {r["code"] for r in reports}
    assert browser.find_element(By.ID, "agency-filter").is_displayed()
    browser.find_element(By.ID, "tab-map").click()
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#map circle.marker")) == 2)
    assert browser.find_element(By.CSS_SELECTOR, "#map svg").get_attribute("data-wards") == "126"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#map path.ward")) == 126
    shaded = browser.find_elements(By.CSS_SELECTOR, "#map path.ward[data-value]")
    assert [path.get_attribute("data-value") for path in shaded] == ["2"]  # both at Hoàn Kiếm lake
    browser.find_element(By.ID, "zoom-in").click()
    browser.save_screenshot(str(shots() / "console-map.png"))
    browser.find_element(By.CSS_SELECTOR, f"#map circle[data-report='{reports[1]['id']}']").click()
    wait(browser, lambda d: d.find_element(By.ID, "detail-title").text == reports[1]["code"])
    assert browser.find_elements(By.ID, "act-reassign")


def test_leadership_read_the_console_and_the_dashboard_with_one_sign_in(
    client, console, auth_emulator, browser, monkeypatch
):
    report = file_report(client, POTHOLE)
    apply_statistics(client)
    auth_emulator.staff(monkeypatch, "lanh.dao@hanoi.gov.vn", "leadership")

    sign_in(browser, console, "lanh.dao@hanoi.gov.vn")
    open_report(browser, report["code"])
    assert not browser.find_elements(By.CSS_SELECTOR, "#detail form")  # leadership only watches
    browser.find_element(By.ID, "language").click()
    wait(browser, lambda d: d.find_element(By.ID, "tab-queue").text == "Queue")

    browser.get(f"{console}/dashboard")  # the same tab keeps the session
    wait(browser, lambda d: d.find_element(By.ID, "content").get_attribute("data-loaded") == "true")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#ward-map path.ward")) == 126
    assert browser.find_element(By.CSS_SELECTOR, "[data-figure=received]").text == "1"
    Select(browser.find_element(By.ID, "ward-measure")).select_by_value("received")
    assert [
        p.get_attribute("data-value") for p in browser.find_elements(By.CSS_SELECTOR, "#ward-map path[data-value]")
    ] == ["1"]
    browser.find_element(By.ID, "signout").click()
    wait(browser, lambda d: d.find_element(By.ID, "signin").is_displayed())
    assert browser.find_element(By.ID, "content").is_displayed() is False


def test_agency_staff_reject_a_report_with_a_reason_and_where_to_turn(
    client, console, auth_emulator, browser, monkeypatch
):
    report = file_report(client, SUNKEN)  # road damage: construction_dept
    auth_emulator.staff(monkeypatch, "can.bo.2@xaydung.hanoi.gov.vn", "agency_staff", "construction_dept")

    sign_in(browser, console, "can.bo.2@xaydung.hanoi.gov.vn")
    open_report(browser, report["code"])
    assert not browser.find_element(By.ID, "reject-reason").is_displayed()  # only when rejecting
    Select(browser.find_element(By.ID, "status-target")).select_by_value("rejected")
    Select(browser.find_element(By.ID, "reject-reason")).select_by_value("not_in_remit")
    redirect = browser.find_element(By.ID, "reject-redirect")
    assert redirect.is_displayed() and redirect.get_attribute("required") is not None  # this reason needs one
    Select(redirect).select_by_value("hotline_1022")
    assert report["code"] in pick_template(browser)
    screenshot(browser, "console-reject.png", "act-status")
    browser.find_element(By.ID, "language").click()  # the reasons come again in English, the choices stay
    wait(
        browser,
        lambda d: (
            Select(d.find_element(By.ID, "reject-reason")).first_selected_option.text
            == "Not within this agency's remit"
        ),
    )
    assert (
        Select(browser.find_element(By.ID, "reject-redirect")).first_selected_option.get_attribute("value")
        == "hotline_1022"
    )
    assert "ok" in save(browser, "act-status").get_attribute("class")
    rejection = browser.find_element(By.CSS_SELECTOR, "[data-section=rejection]")
    assert "Not within this agency's remit" in rejection.text and "1022" in rejection.text
    assert browser.find_element(By.CSS_SELECTOR, "#detail .badge[data-status]").text == "Rejected"
    wait(browser, lambda d: queue_codes(d) == {})
