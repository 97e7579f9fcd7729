"""The complaint and interaction lists in a real browser (Debian's Chromium through Playwright, against
`patron serve`): filter, sort, page, open an item, save a view and export exactly the view; at 1440 and 390 px
wide, photographed, nothing wider than the phone."""

from __future__ import annotations

import csv

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS, PASSWORD, SCREENSHOTS, go, playwright  # the browser, found once

from companies import demo_company
from patron.areas.complaints.desk import data_end
from patron.areas.users.service import add_user
from serving import start_serve


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("activity-site")
    path = root / "patron.duckdb"
    with demo_company(root, 300, 5, path) as store:
        add_user(store, "sue", PASSWORD, "sales", "Sue Sales")
        add_user(store, "ann", PASSWORD, "analyst", "Ann Analyst")
        facts = {
            "complaints": store.scalar("SELECT count(*) FROM complaints"),
            "phone_calls": store.scalar("SELECT count(*) FROM interactions WHERE channel = 'phone'"),
            "interactions": store.scalar("SELECT count(*) FROM interactions"),
            "open": store.records("SELECT complaint_id, opened_at, status FROM complaints WHERE resolved_at IS NULL "
                                  "ORDER BY opened_at LIMIT 1")[0],
            "end": data_end(store),
            "interaction_id": store.scalar("SELECT min(interaction_id) FROM interactions"),
        }
    proc, base = start_serve(path)
    yield base, facts
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(site):
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _signed_in(browser, base, who, width=1440, height=900):
    page = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True).new_page()
    page.goto(f"{base}/login")
    page.fill("#username", who)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def _download(page, selector) -> list[dict]:
    with page.expect_download() as got:
        page.click(selector)
    with open(got.value.path(), encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_interactions_filter_sort_page_and_export(site, browser):
    base, facts = site
    page = _signed_in(browser, base, "sue")
    go(page, "Interactions")
    page.wait_for_url(f"{base}/interactions")
    assert page.locator("#list-total").inner_text().startswith(f"{facts['interactions']:,} interactions")
    page.select_option("#f-channel", "phone")
    page.click("#interaction-filters button[type=submit]")
    page.wait_for_url(f"{base}/interactions?*")
    assert page.locator("#list-total").inner_text().startswith(f"{facts['phone_calls']:,} interaction")
    assert facts["phone_calls"] > 50  # more than one page
    first_page = page.locator("#interaction-list tbody tr").all_inner_texts()
    assert len(first_page) == 50 and all("phone" in row for row in first_page)
    page.click("#next-page")
    page.wait_for_load_state()
    second_page = page.locator("#interaction-list tbody tr").all_inner_texts()
    assert second_page and not set(second_page) & set(first_page)
    page.click("#interaction-list th >> text=Staff")  # sort by staff, then the other way
    page.wait_for_load_state()
    staff = [t.strip() for t in page.locator("#interaction-list tbody tr td:nth-child(8)").all_inner_texts()]
    assert staff == sorted(staff, key=lambda s: (s == "", s))
    rows = _download(page, "#export")  # exactly the filtered view: every phone call, personal data for sales
    assert len(rows) == facts["phone_calls"] and {r["Channel"] for r in rows} == {"phone"}
    assert "Interaction number" in rows[0] and any("@" in r["Email"] and "***" not in r["Email"] for r in rows)
    page.locator("#interaction-list tbody tr a").first.click()
    page.wait_for_url(f"{base}/interactions/*")
    assert "Phone" in page.locator("h1").inner_text()
    page.close()


def test_complaints_search_open_an_item_and_the_analyst_export_is_masked(site, browser):
    base, facts = site
    page = _signed_in(browser, base, "ann")
    page.goto(f"{base}/complaints")
    page.click("text=Every complaint as a list")
    page.wait_for_url(f"{base}/complaints/list")
    assert page.locator("#list-total").inner_text().startswith(f"{facts['complaints']:,} complaints")
    status = facts["open"]["status"]  # the oldest unresolved complaint's
    page.select_option("#f-status", status)
    page.click("#complaint-filters button[type=submit]")
    page.wait_for_url(f"{base}/complaints/list?*")
    page.click("#complaint-list th >> text=Opened")  # oldest first
    page.wait_for_load_state()
    oldest = page.locator("#complaint-list tbody tr").first
    assert oldest.get_attribute("id") == f"complaint-{facts['open']['complaint_id']}"
    # Its age runs to the data's end, not to today.
    age = (facts["end"] - facts["open"]["opened_at"]).total_seconds() / 86400
    assert oldest.locator("td:nth-child(7)").inner_text() == f"{age:,.1f}"
    page.fill("#view-name", "Open complaints")
    page.click("#save-view button[type=submit]")
    page.wait_for_url(f"{base}/complaints/list?view=*")
    assert "Open complaints" in page.locator("#views").inner_text()
    rows = _download(page, "#export")
    assert rows and {r["Status"] for r in rows} == {status.replace("_", " ")} and all("***" in r["Email"] for r in rows if r["Email"])
    page.locator("#complaint-list tbody tr a").first.click()
    page.wait_for_url(f"{base}/complaints/*")
    assert page.locator("h1").inner_text().startswith("Complaint ")
    page.close()


@pytest.mark.parametrize("size", [(1440, 900), (390, 844)], ids=["desktop", "phone"])
def test_the_lists_fit_the_screen(site, browser, size):
    base, facts = site
    width, height = size
    page = _signed_in(browser, base, "sue", width, height)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in (("complaint-list", "/complaints/list"), ("complaint", f"/complaints/{facts['open']['complaint_id']}"),
                       ("interaction-list", "/interactions"),
                       ("interaction", f"/interactions/{facts['interaction_id']}")):
        page.goto(f"{base}{path}")
        page.wait_for_load_state()
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{path} overflows at {width} px"
    page.close()
