"""A marketer builds a playbook for the best customers in the form, checks its audience with who is excluded and
why, and launches it against the demo company, in Chromium; screenshots saved."""

from __future__ import annotations

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS, PASSWORD, playwright, shot, sign_in

from companies import demo_company
from patron.areas.users.service import add_user
from serving import start_serve


@pytest.fixture(scope="module")
def marketing_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("campaigns")
    path = root / "patron.duckdb"
    with demo_company(root, 300, 4, path) as store:
        add_user(store, "mia", PASSWORD, "marketing", "Mia Marketing")
    proc, base = start_serve(path, args=("--no-delivery",))  # the queue is shown as launched; delivery: test_serve_delivery
    yield base, path
    proc.terminate()
    proc.wait(timeout=10)


def test_build_preview_and_launch_a_campaign(marketing_site):
    base, _ = marketing_site
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = sign_in(browser, base, "mia")
        page.click("nav >> text=Campaigns")
        page.wait_for_url(f"{base}/campaigns")
        page.fill("#builder input[name=name]", "Thank the best")
        page.select_option("#builder select[name=triage]", ["best"])
        page.select_option("#builder select[name=channel]", "email")
        page.select_option("#builder select[name=purpose]", "newsletter")
        page.fill("#builder input[name=subject]", "Thank you, {first_name}")
        page.fill("#builder textarea[name=body]", "Dear {name}")
        page.fill("#builder input[name=control_percent]", "20")
        page.click("#builder button[type=submit]")
        page.wait_for_url(f"{base}/campaigns/*")
        assert page.locator("#status").inner_text() == "draft"
        treated = int(page.locator("#arm-treated td.num").inner_text().replace(",", ""))
        excluded = int(page.locator("#arm-excluded td.num").inner_text().replace(",", ""))
        assert treated > 0 and excluded > 0
        assert "no consent" in page.locator("#excluded").inner_text() or \
            "consent withdrawn" in page.locator("#excluded").inner_text()
        shot(page, "campaign-preview")
        page.click("#launch")
        page.wait_for_load_state()
        assert page.locator("#status").inner_text() == "running"
        assert f"{treated:,} queued" in page.content()
        # The members and the queue as stored, shown back: the same counts as the preview promised.
        assert f"Queue: {treated:,} queued" in page.locator("#audience").inner_text()
        assert int(page.locator("#arm-excluded td.num").inner_text().replace(",", "")) == excluded
        shot(page, "campaign-launched")
        browser.close()


def test_an_offer_a_list_and_a_trigger_from_the_builder(marketing_site):
    base, _ = marketing_site
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = sign_in(browser, base, "mia")
        page.goto(f"{base}/campaigns")
        assert page.locator("#builder select[name=holdout]").count() == 0  # an admin's choice, not a marketer's
        page.fill("#builder input[name=name]", "Coffee after a complaint")
        page.select_option("#builder select[name=triage]", ["best", "average"])
        page.select_option("#builder select[name=purpose]", "newsletter")
        page.fill("#builder input[name=subject]", "A coffee on us, {first_name}")
        page.fill("#builder textarea[name=body]", "Show {voucher} at the till.")
        page.fill("#builder input[name=voucher]", "A free coffee")
        page.fill("#builder input[name=voucher_days]", "14")
        page.fill("#builder input[name=list_name]", "Coffee drinkers")
        page.select_option("#builder select[name=trigger]", "event:complaint_resolved")
        page.click("#builder button[type=submit]")
        page.wait_for_url(f"{base}/campaigns/*")
        page.click("#launch")
        page.wait_for_load_state()
        issued = int(page.locator("#vouchers-issued").inner_text().replace(",", ""))
        treated = int(page.locator("#arm-treated td.num").inner_text().replace(",", ""))
        assert issued == treated > 0 and page.locator("#vouchers-redeemed").inner_text() == "0"
        shot(page, "campaign-offer")
        page.click("#offer >> text=Coffee drinkers")
        page.wait_for_url(f"{base}/lists/*")
        assert f"{treated:,} people" in page.content()
        page.locator("#members a").first.click()
        page.wait_for_url(f"{base}/customers/*")
        assert "A free coffee" in page.locator("#vouchers").inner_text()
        # The playbook's page: its trigger in words; evaluated now, the evaluation is shown.
        page.goto(f"{base}/campaigns")
        page.click("#playbooks >> text=Coffee after a complaint")
        page.wait_for_url(f"{base}/campaigns/playbooks/*")
        assert "on a complaint resolved" in page.locator("#trigger").inner_text()
        page.click("#run-due")
        page.wait_for_load_state()
        assert "Last evaluated" in page.locator("#last-evaluation").inner_text()
        assert "had a complaint resolved" in page.locator("#evaluations").inner_text()
        shot(page, "playbook-trigger")
        browser.close()
