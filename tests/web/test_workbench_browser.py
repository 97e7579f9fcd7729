"""The workbench in a real browser (Debian's Chromium through Playwright, against `patron serve`): filter the
customer list, save the view, assign an owner in bulk, find people by a phone typed with spaces and by a name
typed without its accents, log a call with a follow-up task and find it in "my tasks"."""

from __future__ import annotations

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS, PASSWORD, go, playwright  # the browser, found (or the skip) once

from companies import demo_company
from patron.areas.parties.lists import update_party
from patron.areas.users.service import add_user
from patron.service.permissions import User
from serving import start_serve


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("workbench-site")
    path = root / "patron.duckdb"
    with demo_company(root, 300, 5, path) as store:
        add_user(store, "sue", PASSWORD, "sales", "Sue Sales")
        add_user(store, "tom", PASSWORD, "service", "Tom Service")
        party = store.scalar("SELECT min(party_id) FROM parties WHERE kind = 'person'")
        # Changed as the customer page changes it, so the search index follows.
        update_party(store, User(0, "sue", "sales"), party,
                     {"name": "Zoë Müller-Lüdenscheidt", "phone": "+49 30 1234 5678"})
        best = store.scalar("SELECT count(*) FROM scores s JOIN runs r USING (run_id) WHERE r.status = 'current' "
                            "AND s.triage = 'best'")
    proc, base = start_serve(path)
    yield base, party, best
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def page(site):
    base = site[0]
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1440, "height": 900})
        tab.goto(f"{base}/login")
        tab.fill("#username", "sue")
        tab.fill("#password", PASSWORD)
        tab.click("button[type=submit]")
        tab.wait_for_url(f"{base}/")
        yield tab
        browser.close()


def test_filter_save_a_view_and_assign_an_owner(site, page):
    base, _, best = site
    page.goto(f"{base}/customers")
    page.select_option("#f-triage", "best")
    page.click("#list-filters button[type=submit]")
    page.wait_for_url(f"{base}/customers?*")
    assert page.locator("#list-total").inner_text().startswith(f"{best:,} customer")
    page.fill("#view-name", "Best of the best")
    page.click("#save-view button[type=submit]")
    page.wait_for_url(f"{base}/customers?view=*")
    assert "Best of the best" in page.locator("#views").inner_text()
    assert "in the view 'Best of the best'" in page.locator("#list-total").inner_text()
    page.check("input[name=scope][value=all]")
    page.fill("#bulk-owner", "tom")
    page.click("button[name=action][value=owner]")
    page.wait_for_load_state()
    assert f"Owner tom for {best:,} of {best:,} customers." in page.locator(".flash").inner_text()
    owners = page.locator("#customer-list td[data-field=owner]").all_inner_texts()
    assert owners and set(owners) == {"tom"}


@pytest.mark.parametrize("typed", ["030 1234 5678", "+49 30 12345678", "muller-ludenscheidt zoe"])
def test_search_by_phone_and_accent_free_name(site, page, typed):
    base, party, _ = site
    page.goto(f"{base}/customers")
    page.fill("#q", typed)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/customers?q=*")
    first = page.locator("table tbody tr").first
    assert "Zoë Müller-Lüdenscheidt" in first.inner_text()
    assert first.locator(f"a[href='/customers/{party}']").count() == 1


def test_log_a_call_with_a_follow_up_and_see_it_in_my_tasks(site, page):
    base, party, _ = site
    page.goto(f"{base}/customers/{party}")
    page.select_option("#channel", "phone")
    page.select_option("#direction", "outbound")
    page.fill("#subject", "Rang about the spring order")
    page.fill("#notes", "prefers calls after five")
    page.fill("#task_title", "Send the spring price list")
    page.fill("#task_due", "2020-03-01")
    page.click("text=Log interaction")
    page.wait_for_url(f"{base}/customers/{party}")
    assert "follow-up task added" in page.locator(".flash").inner_text()
    assert "Rang about the spring order" in page.locator("#timeline li").first.inner_text()
    assert "Send the spring price list" in page.locator("#tasks").inner_text()
    page.select_option("#tl-type", "purchase")
    page.click("#timeline-filter button[type=submit]")
    page.wait_for_url(f"{base}/customers/{party}?*")
    assert "Rang about the spring order" not in page.locator("#timeline").inner_text()
    go(page, "My tasks")
    page.wait_for_url(f"{base}/tasks")
    row = page.locator("#my-tasks tbody tr").first
    assert "Send the spring price list" in row.inner_text() and "overdue" in row.inner_text()
    row.locator("button", has_text="Done").click()
    page.wait_for_url(f"{base}/tasks")
    assert "Send the spring price list" not in page.locator("#my-tasks").inner_text()
