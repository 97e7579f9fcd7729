"""Every page, in Debian's Chromium, checked by axe-core and photographed at a desktop and a phone size.

axe-core comes from its npm package (``tests/web/package.json``, installed by ``.ci/run`` into
``tests/web/node_modules``); the test reads ``axe.min.js`` from there and puts it into each page itself, so
nothing is fetched while it runs. The list of pages is built from the app's page routes: a route this test
does not know how to fill in fails it, so a new page is checked from the day it is added.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS, PASSWORD, SCREENSHOTS, playwright  # the browser, found once

from companies import demo_company
from patron.act.links import link_secret, unsubscribe_token
from patron.analytics.rfm import DEFAULT_SEGMENTS as RFM_RULES
from patron.app import area_modules
from patron.areas.campaigns.offers import add_to_list
from patron.areas.campaigns.service import install_defaults
from patron.areas.users.service import add_user
from patron.service.demo import record_demo_campaign
from patron.service.permissions import User
from patron.store import vocabulary
from serving import start_serve

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
if not AXE.exists():
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"axe-core is not installed at {AXE}: run `npm ci --prefix tests/web` (.ci/run does)",
                    pytrace=False)
    pytest.skip(f"axe-core is not installed at {AXE} (npm ci --prefix tests/web)", allow_module_level=True)

AXE_SOURCE = AXE.read_text(encoding="utf-8")
#: Page routes that answer with a file, not a page.
DOWNLOADS = {"/customers/export", "/customers/{party_id}/privacy/export", "/segments/{kind}/{name}.csv",
             "/audit/export.csv", "/complaints/list/export", "/interactions/export"}
#: Stored codes people should never read on a page: every word of the vocabularies (and RFM segment) that is
#: not already plain English with its underscore.
CODES = sorted({code for name in dir(vocabulary) if name.isupper() and isinstance(getattr(vocabulary, name), tuple)
                for code in getattr(vocabulary, name) if isinstance(code, str) and "_" in code}
               | {rule.segment for rule in RFM_RULES if "_" in rule.segment})
#: Figures not written for people: binary float noise, an amount followed by its code, the placeholder currency.
UNFORMATTED = re.compile(r"\d\.\d{7,}|\d\.\d\d (?:EUR|USD|GBP)\b|\bXXX\b")
#: The sizes every page is photographed and checked at.
SIZES = {"desktop": (1440, 900), "phone": (390, 844)}


def page_routes() -> list[str]:
    """Every GET path of the pages (not the API), as the app mounts them."""
    return sorted({route.path for module in area_modules("pages") for route in module.router.routes
                   if "GET" in route.methods and route.path not in DOWNLOADS})


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("a11y-site")
    path = root / "patron.duckdb"
    with demo_company(root, 300, 7, path) as store:
        add_user(store, "ada", PASSWORD, "admin", "Ada Admin")
        record_demo_campaign(store, root / "data")  # the demo's past campaign, with its results
        ids = {
            "party_id": store.scalar(
                "SELECT p.party_id FROM parties p JOIN scores s USING (party_id) WHERE p.kind = 'person' "
                "ORDER BY s.clv DESC LIMIT 1"),
            "campaign_id": store.scalar("SELECT min(campaign_id) FROM campaigns"),
            "import_id": store.scalar("SELECT min(import_id) FROM imports"),
            "kind": "triage", "name": "best",
        }
        ids["account_id"] = store.scalar("SELECT min(party_id) FROM parties WHERE kind = 'organisation'")
        ids["complaint_id"] = store.scalar("SELECT min(complaint_id) FROM complaints WHERE resolved_at IS NULL")
        ids["interaction_id"] = store.scalar("SELECT min(interaction_id) FROM interactions")
        admin = User(store.scalar("SELECT user_id FROM users WHERE username = 'ada'"), "ada", "admin")
        ids["playbook_id"] = install_defaults(store, admin)[0]
        add_to_list(store, admin, "Tasting evening", [ids["party_id"]])
        ids["list"], ids["username"] = "Tasting evening", "ada"
        ids["token"] = unsubscribe_token(link_secret(store), ids["party_id"], "email", "marketing", 1)
    assert all(v is not None for v in ids.values()), ids
    proc, base = start_serve(path)
    yield base, ids
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def admin(site):
    base, _ = site
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # The pages' policy allows no script; the test's own (axe) goes in past it, as a browser extension would.
        tab = browser.new_context(viewport={"width": 1440, "height": 900}, bypass_csp=True).new_page()
        tab.goto(f"{base}/login")
        tab.fill("#username", "ada")
        tab.fill("#password", PASSWORD)
        tab.click("button[type=submit]")
        tab.wait_for_url(f"{base}/")
        yield tab
        browser.close()


def urls(base: str, ids: dict, job: str) -> list[tuple[str, str]]:
    """(name, URL) of every page, the route's parameters filled in with the demo store's data."""
    filled = {"{party_id}": str(ids["party_id"]), "{campaign_id}": str(ids["campaign_id"]),
              "{import_id}": str(ids["import_id"]), "{kind}": ids["kind"], "{name}": ids["name"],
              "{token}": ids["token"], "{job_id}": job, "{playbook_id}": str(ids["playbook_id"]),
              "{username}": ids["username"], "{complaint_id}": str(ids["complaint_id"]),
              "{interaction_id}": str(ids["interaction_id"])}
    found = []
    for route in page_routes():
        path = route.replace("/accounts/{party_id}", f"/accounts/{ids['account_id']}")
        path = path.replace("/lists/{name}", "/lists/" + quote(ids["list"]))
        for key, value in filled.items():
            path = path.replace(key, value)
        assert "{" not in path, f"the accessibility test does not know how to open {route}: add its parameters"
        name = re.sub(r"[^a-z0-9]+", "-", route.lower()).strip("-") or "overview"
        found.append((name, f"{base}{path}"))
    return found


def serious(page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each (rule, impact, where)."""
    if not page.evaluate("typeof axe !== 'undefined'"):  # once a page: it is checked again at the next size
        page.add_script_tag(content=AXE_SOURCE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    lines = []
    for v in result["violations"]:
        if v["impact"] in ("serious", "critical"):
            where = "; ".join(" ".join(n["target"]) if isinstance(n["target"], list) else str(n["target"])
                              for n in v["nodes"][:5])
            lines.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])} elements: {where}): {v['help']}")
    return lines


def test_every_page_route_is_known():
    """The pages the test walks are the app's: customers, accounts, campaigns, imports, complaints, outbox..."""
    routes = page_routes()
    for expected in ("/", "/customers/{party_id}", "/accounts/{party_id}", "/campaigns/{campaign_id}", "/imports",
                     "/complaints", "/complaints/list", "/complaints/{complaint_id}", "/interactions",
                     "/interactions/{interaction_id}", "/outbox", "/audit", "/runs", "/segments/{kind}/{name}", "/tasks", "/login"):
        assert expected in routes


def test_no_serious_or_critical_accessibility_violation_on_any_page(site, admin):
    base, ids = site
    page = admin
    # A job page needs a job: an analysis started from the runs page.
    page.goto(f"{base}/runs")
    page.click("#start-run button[type=submit]")
    page.wait_for_url(re.compile(r".*/runs/jobs/.+"))
    job = page.url.rsplit("/", 1)[-1].split("?")[0]
    # Followed, the page reloads itself while the job runs; the walk opens it unfollowed, standing still.
    page.wait_for_selector("h1:has-text('Analysis: done')", timeout=180_000)
    problems = {}
    pages = urls(base, ids, job)
    pages.append(("import-preview", None))
    for name, url in pages:
        # Each page is loaded once, at the desktop size, then checked at every size: the pages run no script,
        # so a page made narrower lays itself out as one opened narrow (the media queries apply), and the walk
        # loads half as many pages (it took about 8 minutes loading each twice).
        page.set_viewport_size({"width": SIZES["desktop"][0], "height": SIZES["desktop"][1]})
        if url is None:  # the import wizard's second step is a POST: reached through the form
            page.goto(f"{base}/imports")
            page.set_input_files("#file", files=[{"name": "orders.csv", "mimeType": "text/csv",
                                                  "buffer": b"customer_id,date,amount\nZ1,2024-05-01,9.5\n"}])
            page.fill("#source", "a11y")
            page.click("button:has-text('Preview')")
        elif name == "login":
            page.context.clear_cookies()
            response = page.goto(url)
        else:
            response = page.goto(url)
            assert response is not None and response.status == 200, f"{url}: {response and response.status}"
        page.wait_for_load_state()
        for size, (width, height) in SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"page-{name}-{size}.png"), full_page=True)
            if size == "phone":  # nothing pushes the page sideways at 390 px
                width_used = page.evaluate("document.documentElement.scrollWidth")
                if width_used > width:
                    problems.setdefault(name, []).append(f"the page is {width_used} px wide at {width} px")
                # ...and no field or button runs out of sight inside a panel that clips it.
                fields = "main input:not([type=hidden]), main select, main textarea, main button"
                cut = page.evaluate("""(fields) => [...document.querySelectorAll(fields)].filter(e => {
                      const r = e.getBoundingClientRect();
                      return r.width > 0 && !e.closest('.table-scroll') && r.right > window.innerWidth + 1;
                    }).map(e => e.id || e.name || e.textContent.trim()).slice(0, 6)""", fields)
                if cut:
                    problems.setdefault(name, []).append(f"fields out of the screen at {width} px: {', '.join(cut)}")
            if size == "desktop":  # what the page says: words, not codes; figures written for people
                text = page.locator("body").inner_text()
                codes = [c for c in CODES if re.search(rf"\b{c}\b", text)]
                if codes:
                    problems.setdefault(name, []).append(f"codes shown: {', '.join(codes)}")
                numbers = sorted(set(UNFORMATTED.findall(text)))
                if numbers:
                    problems.setdefault(name, []).append(f"unformatted figures: {', '.join(numbers[:8])}")
            found = serious(page)
            if found:
                problems.setdefault(name, []).extend(f"{size}: {line}" for line in found)
        if name == "login":
            page.fill("#username", "ada")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/")
    assert not problems, "\n".join(f"{name}:\n  " + "\n  ".join(lines) for name, lines in problems.items())
