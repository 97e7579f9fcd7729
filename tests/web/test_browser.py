"""The pages in a real browser: Debian's Chromium driven by Playwright, against `patron serve`."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from companies import demo_company
from patron.areas.users.service import add_user
from serving import start_serve

PASSWORD = "a long enough password"
SCREENSHOTS = Path(os.environ.get("PATRON_SCREENSHOTS", Path(__file__).parents[2] / "build" / "screenshots"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

if CHROMIUM is None:  # under CI=true the conftest turns this skip into a failure
    pytest.skip("Chromium is not installed (Debian package 'chromium')", allow_module_level=True)
playwright = pytest.importorskip("playwright.sync_api")


#: (source, key) of a customer of the demo company, for files that log activity for a known customer.
KNOWN_KEY: list[str] = []


SITE_DATA: list = []  # the demo's folder, for its truth files


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """`patron serve` over a demo company, with a service user and an analyst."""
    root = tmp_path_factory.mktemp("site")
    path = root / "patron.duckdb"
    SITE_DATA[:] = [root / "data"]
    with demo_company(root, 300, 4, path) as store:
        from patron.service.demo import record_demo_reviews

        record_demo_reviews(store, root / "data")  # as `patron demo` does: the account reviews
        add_user(store, "sam", PASSWORD, "service", "Sam Service")
        add_user(store, "ann", PASSWORD, "analyst", "Ann Analyst")
        add_user(store, "bill", PASSWORD, "billing", "Bill Billing")
        add_user(store, "ada", PASSWORD, "admin", "Ada Admin")
        KNOWN_KEY.extend(store.query("SELECT source, source_key FROM identities ORDER BY party_id LIMIT 1")[0])
        party, name, email = store.query(
            "SELECT p.party_id, p.name, p.email FROM parties p JOIN scores s USING (party_id) "
            "WHERE p.email IS NOT NULL AND p.kind = 'person' ORDER BY s.clv DESC LIMIT 1")[0]
    proc, base = start_serve(path)
    yield base, party, name, email
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def sign_in(browser, base, username):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{base}/")
    assert page.url.startswith(f"{base}/login")  # nothing without a user
    # Keyboard only: the form is usable without a mouse.
    page.focus("#username")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")
    return page


def go(page, label):
    """Follow the navigation's link ``label`` as a person would: on a phone open the Menu button, then the link's
    menu (Customers, Service...), then the link. Fails if the link is not in the navigation."""
    menu = page.locator("#nav-menu")
    if menu.locator("> summary").is_visible() and menu.get_attribute("open") is None:
        menu.locator("> summary").click()
    link = page.locator("nav[aria-label=main] a").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    assert link.count() == 1, f"no link {label!r} in the navigation"
    section = link.locator("xpath=ancestor::details[contains(@class, 'section')][1]")
    if section.count() and section.get_attribute("open") is None:
        section.locator("> summary").click()
    link.click()


def shot(page, name):
    page.wait_for_load_state()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_every_link_of_the_admins_navigation_is_reachable_at_1440_and_390(site, browser):
    """The admin sees the most entries. At desktop and phone width each one is reached through its menu (no
    sideways scrolling of the bar), lands on its page and is marked as the current one there."""
    base, _, _, _ = site
    page = sign_in(browser, base, "ada")
    nav = page.locator("nav[aria-label=main] a")
    links = dict(zip(nav.all_text_contents(), [a.get_attribute("href") for a in nav.all()]))
    assert {"Runs", "Before/after", "Users", "Audit log", "Imports", "Outbox"} <= set(links)  # the admin's last ones
    assert links["Complaint list"] == "/complaints/list"  # the list has its own entry, beside the desk
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        for label, href in links.items():
            page.goto(f"{base}/")
            go(page, label)
            page.wait_for_url(f"{base}{href}*")
            current = page.locator("nav[aria-label=main] a[aria-current=page]")
            assert current.all_text_contents() == [label], (width, label)
            bar = page.locator("header.top")
            assert bar.evaluate("e => e.scrollWidth <= e.clientWidth"), (width, label)  # nothing runs out of sight
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (width, label)
    page.close()


def test_sign_in_and_overview(site, browser):
    base, _, _, _ = site
    page = sign_in(browser, base, "sam")
    assert page.locator("h1").inner_text() == "Overview"
    assert page.locator(".chart svg").count() == 2  # ladder and triage, rendered without any script
    assert page.locator("script").count() == 0
    shot(page, "overview")
    page.close()


def test_wrong_password_is_refused(site, browser):
    base, _, _, _ = site
    page = browser.new_page()
    page.goto(f"{base}/login")
    page.fill("#username", "sam")
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    assert "Wrong user name or password" in page.content()
    shot(page, "login")
    page.close()


def test_find_a_customer_log_an_interaction_and_see_it(site, browser):
    base, party, name, _ = site
    page = sign_in(browser, base, "sam")
    go(page, "Customers")
    page.fill("#q", name.split()[-1])
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/customers?q=*")
    page.wait_for_load_state()
    shot(page, "customers")
    page.click(f"a[href='/customers/{party}']")
    page.wait_for_url(f"{base}/customers/{party}")
    page.select_option("#channel", "phone")
    page.fill("#subject", "Called about the autumn blend")
    page.fill("#outcome", "will order next week")
    page.click("text=Log interaction")
    page.wait_for_url(f"{base}/customers/{party}")
    assert "Interaction logged" in page.locator(".flash").inner_text()
    first = page.locator("#timeline li").first.inner_text()
    assert "Called about the autumn blend" in first and "phone" in first
    shot(page, "customer")
    page.close()


def test_open_and_resolve_a_complaint(site, browser):
    base, party, _, _ = site
    page = sign_in(browser, base, "sam")
    page.goto(f"{base}/customers/{party}")
    page.fill("#category", "delivery")
    page.select_option("#severity", "high")
    page.fill("#description", "The parcel arrived opened.")
    page.click("text=Open complaint")
    flash = page.locator(".flash").inner_text()
    complaint_id = int(flash.split()[1])
    go(page, "Complaint desk")
    row = page.locator(f"#complaint-{complaint_id}")
    row.locator("button", has_text="Start").click()
    row = page.locator(f"#complaint-{complaint_id}")
    assert "in progress" in row.inner_text()
    row.locator("input[name=resolution]").fill("Replacement sent")
    row.locator("button", has_text="Resolve").click()
    assert "is now resolved" in page.locator(".flash").inner_text()
    assert page.locator(f"#complaint-{complaint_id}").count() == 0  # off the open queue
    shot(page, "complaints")
    page.goto(f"{base}/customers/{party}")
    assert "Replacement sent" in page.content()
    page.close()


def test_analyst_does_not_see_personal_data(site, browser):
    base, party, _, email = site
    page = sign_in(browser, base, "ann")
    page.goto(f"{base}/customers/{party}")
    assert email not in page.content()
    assert "***@" in page.locator("td[data-field=email]").inner_text()
    assert "masked for the analyst role" in page.content()
    assert page.locator("text=Log an interaction").count() == 0  # and cannot write
    page.close()


def test_segments_and_imports_pages(site, browser):
    base, _, _, _ = site
    page = sign_in(browser, base, "ann")
    go(page, "Segments")
    assert page.locator("h2", has_text="Valuable customers at risk").count() == 1
    shot(page, "segments")
    page.click("a[href='/segments/triage/best']")
    assert "members" in page.locator("h1").inner_text()
    shot(page, "segment")
    go(page, "Imports")
    page.set_input_files("#file", files=[{"name": "orders.csv", "mimeType": "text/csv",
                                          "buffer": b"customer_id,date,amount\nZ1,2024-05-01,9.5\nZ2,never,1\n"}])
    page.fill("#source", "browser")
    page.click("button:has-text('Preview')")
    # Step 2: the kind read from the columns, the rows as they would be stored, nothing stored yet.
    assert "Its columns say it holds transactions" in page.locator("main").inner_text()
    assert "'never' in column 'date' is not a date and time" in page.locator("#sample").inner_text()
    shot(page, "import-preview")
    page.click("button:has-text('Import as transactions')")
    page.wait_for_selector("#job >> text=accepted", timeout=20_000)  # the page refreshes itself while it runs
    assert "1 accepted, 1 rejected" in page.locator("#job").inner_text()
    page.click("text=See the rejected rows")
    # An analyst imports but does not see personal data: the rejected row's text and quoted value are hidden.
    rows = page.locator("main table").inner_text()
    assert "'…' in column 'date' is not a date and time" in rows and "never" not in rows
    assert "your role does not see personal data" in page.locator("main").inner_text()
    shot(page, "imports")
    page.close()


def test_import_wizard_warns_of_the_wrong_kind_and_undo_puts_it_back(site, browser):
    base, _, _, _ = site
    page = sign_in(browser, base, "bill")
    page.goto(f"{base}/imports")
    source, key = KNOWN_KEY
    calls = (f"customer_id,date,channel,direction,department,notes\n"
             f"{key},2024-05-01 10:00,phone,inbound,service,asked about an order\n").encode()
    page.set_input_files("#file", files=[{"name": "calls.csv", "mimeType": "text/csv", "buffer": calls}])
    page.fill("#source", source)
    page.click("button:has-text('Preview')")
    assert "Its columns say it holds interactions" in page.locator("main").inner_text()
    # Told it is a parties file, patron warns and will not import it.
    page.select_option("#kind", "parties")
    page.click("button:has-text('Preview again')")
    assert "look like interactions" in page.locator("#kind-warning").inner_text()
    assert page.locator("button:has-text('Import as parties')").count() == 0
    shot(page, "import-wrong-kind")
    page.select_option("#kind", "interactions")
    page.click("button:has-text('Preview again')")
    page.click("button:has-text('Import as interactions')")
    page.wait_for_selector("#job >> text=accepted", timeout=20_000)
    page.click("text=Undo…")
    assert "remove the 1 interactions it added" in page.locator("#undo-effects").inner_text()
    shot(page, "import-undo")
    page.click("button:has-text('Undo import')")
    assert "undone: removed 1 interactions" in page.locator(".flash").inner_text()
    page.close()


def test_phone_layout_keeps_the_navigation_and_tables_inside_the_screen(site, browser):
    base, party, _, _ = site
    page = sign_in(browser, base, "sam")
    page.set_viewport_size({"width": 390, "height": 844})
    for path, name in (("/", "overview-phone"), ("/imports", "imports-phone"), (f"/customers/{party}", "customer-phone"),
                       ("/segments", "segments-phone")):
        page.goto(f"{base}{path}")
        # Nothing pushes the page sideways: wide tables and the navigation scroll inside their own boxes.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        header = page.locator("header.top").bounding_box()
        assert header["width"] <= 390
        shot(page, name)
def test_an_account_gets_a_contact_with_a_role_trust_and_shows_the_grid_and_alert(site, browser):
    """Issue 15: add a contact to an account with a buying role and attitude, rate their trust, see them on the
    stakeholder grid, and the single-threaded alert of an account with at most one engaged contact."""
    base, *_ = site
    page = sign_in(browser, base, "sam")
    page.goto(f"{base}/relationships")
    assert page.locator("h1").inner_text() == "Relationships"
    shot(page, "relationships")
    # An account whose buying centre is reached through one contact at most (the demo's lost accounts are).
    page.locator("#portfolio tr", has_text="single threaded").locator("a").first.click()
    page.wait_for_load_state()
    account_url = page.url
    page.fill("#name", "Greta Stahl")
    page.fill("#job_title", "Finance Director")
    page.select_option("#buying_role", "approver")
    page.fill("#influence", "5")
    page.fill("#interest", "4")
    page.select_option("#attitude", "supporter")
    page.click("button:has-text(\"Add contact\")")
    page.wait_for_url(account_url)
    assert "Greta Stahl added." in page.content()
    page.select_option("#contact", label="Greta Stahl")
    for term, value in (("credibility", "8"), ("reliability", "7"), ("intimacy", "4"), ("self_orientation", "2")):
        page.fill(f"#{term}", value)
    page.click("button:has-text(\"Rate trust\")")
    page.wait_for_url(account_url)
    row = page.locator("#people tr", has_text="Greta Stahl")
    assert "9.50" in row.inner_text() and "held back by intimacy" in row.inner_text()
    assert page.locator("#stakeholder-grid circle.stakeholder.supporter").count() >= 1
    assert page.locator("#stakeholder-grid", has_text="Greta Stahl").count() == 1
    assert page.locator(".alert-single_threaded").count() == 1  # Greta has no contact yet
    shot(page, "account")
def test_the_supplier_portfolio_and_wilsons_stage_on_the_pages(site, browser):
    """Issue 15: the demo's suppliers sit in their Bensaou cells on the supplier side of the portfolio; a
    supplier's page and an account's page name Wilson's stage with its rule."""
    import pyarrow.parquet as pq

    base, *_ = site
    page = sign_in(browser, base, "sam")
    page.goto(f"{base}/relationships")
    planted = pq.read_table(SITE_DATA[0] / "truth_suppliers.parquet").to_pylist()
    for p in planted:
        if p["category"] == "supplier":
            cell = page.locator(f"#bensaou-supplier td[data-quadrant={p['bensaou']}]")
            assert p["name"] in cell.inner_text(), p
    customers = page.locator("#bensaou-customer").inner_text()
    assert not any(p["name"] in customers for p in planted)  # names are listed on the supplier side only
    shot(page, "supplier-portfolio")
    page.locator("#bensaou-supplier a").first.click()
    page.wait_for_load_state()
    assert "Wilson's stage" in page.locator("#wilson-stage-card").inner_text()
    page.goto(f"{base}/relationships")
    row = page.locator("#portfolio tbody tr").first
    stage = row.locator("td.wilson-stage").inner_text()
    row.locator("a").first.click()
    page.wait_for_load_state()
    assert stage and stage in page.locator("#wilson-stage-card").inner_text()
    assert page.locator("#wilson-stage-rule").inner_text()
    shot(page, "account-wilson-stage")


def test_work_a_complaint_from_the_customer_page_with_satisfaction(site, browser):
    base, party, _, _ = site
    page = sign_in(browser, base, "sam")
    page.goto(f"{base}/customers/{party}")
    page.fill("#category", "billing")
    page.select_option("#severity", "medium")
    page.fill("#description", "Charged twice for one order.")
    page.click("text=Open complaint")
    complaint_id = int(page.locator(".flash").inner_text().split()[1])
    move = page.locator(f"#move-{complaint_id}")
    move.locator("button", has_text="Start").click()
    move = page.locator(f"#move-{complaint_id}")
    move.locator("input[name=resolution]").fill("Refunded the second charge")
    move.locator("input[name=satisfaction_after]").fill("5")
    move.locator("button", has_text="Resolve").click()
    assert "is now resolved" in page.locator(".flash").inner_text()
    assert page.url.endswith(f"/customers/{party}")
    assert "satisfaction 5/5" in page.content()
    page.once("dialog", lambda dialog: dialog.accept())  # closing asks for confirmation
    page.locator(f"#move-{complaint_id}").locator("button", has_text="Apply").click()
    assert "is now closed" in page.locator(".flash").inner_text()
    shot(page, "complaint-customer-page")
    # the desk: filters and paging
    page.goto(f"{base}/complaints?status=closed&sort=opened_at&descending=true")
    assert page.locator(f"#complaint-{complaint_id}").count() == 1
    assert "complaints" in page.locator("#desk-total").inner_text()
    page.goto(f"{base}/quality")
    assert page.locator("#servqual svg").count() == 1
    # 3 benchmarks × 5 dimensions from the benchmark table, and the 2 competitors the mystery shoppers visit × 5
    rows = page.locator("#benchmark-latest tbody tr")
    assert rows.count() == 25
    assert rows.filter(has_text="mystery shopper").count() == 10
    assert page.locator("#gap1 tbody tr").count() == 5
    # the complaint just worked is the latest verbatim, tagged with a dimension, a sentiment and a cause
    page.locator("#verbatims summary").click()
    latest = page.locator("#verbatim-sample tbody tr").first
    assert latest.is_visible() and "Charged twice for one order." in latest.inner_text()
    assert any(s in latest.inner_text() for s in ("negative", "positive")) and "%" in latest.inner_text()
    shot(page, "service-quality")
    page.close()


def test_drivers_the_listening_reports_and_the_desks_clocks(site, browser):
    base, _, _, _ = site
    page = sign_in(browser, base, "ann")
    page.goto(f"{base}/quality")
    drivers = page.locator("#drivers-table tbody tr")
    assert drivers.count() == 5 and page.locator("#drivers").is_visible()
    assert any(q in drivers.first.inner_text() for q in ("keep it up", "concentrate here"))  # the strongest
    shot(page, "service-quality-drivers")
    page.click("text=Panels, mystery shoppers, suggestions, field visits")
    page.wait_for_url(f"{base}/listening")
    for section in ("panel", "mystery-shopper", "suggestion", "field-visit", "review"):
        assert page.locator(f"#{section} h2").is_visible()
    page.click("nav[aria-label=Instruments] >> text=Field visits")
    assert "field visit" in page.locator("#field-visit").inner_text().lower()
    shot(page, "listening")
    page.goto(f"{base}/complaints")
    levels = page.locator("#desk-levels").inner_text()
    assert "first response / next response / resolution" in levels and "Mon Tue Wed Thu Fri" in levels
    page.close()
