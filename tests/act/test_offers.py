"""Vouchers, lists, the preview's exclusions and the admin's holdout override, on both stores.

Vouchers are unique, personalised into the message and redeemable once; a list holds exactly the treated and is an
audience; the preview excludes with the send-time gate's own reasons (a person over the frequency cap, a
hard-bounced address), as sending would; only an admin may override the holdout, and it is audited."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from companies import demo_company
from patron.act.holdout import cut, holdout_bucket
from patron.act.rules import blocks
from patron.areas.campaigns import offers
from patron.areas.campaigns.service import (
    assign,
    create_campaign,
    get_campaign,
    launch,
    override_holdout,
    preview,
    preview_member,
    save_playbook,
)
from patron.errors import Conflict, NotFound, PermissionDenied
from patron.service.permissions import User
from patron.service.runs import current_run
from store_engines import ENGINES, new_store_url

ADMIN = User(1, "root", "admin")
MARKETER = User(2, "mia", "marketing")
AT = dt.datetime(2030, 1, 1, 12, 0)
OFFER = """
name = "A thank-you offer"
channel = "email"
purpose = "newsletter"
control_share = 0.2
[audience]
triage = ["best", "average"]
[action]
subject = "Your code, {first_name}"
body = "Dear {name}, use {voucher} at the till."
voucher = "10% off your next order"
voucher_days = 30
list = "Thanked in 2030"
"""


@pytest.fixture(params=ENGINES)
def company(request, tmp_path):
    with demo_company(tmp_path, 300, 6, new_store_url(request, request.param, tmp_path)) as store:
        yield store


def test_vouchers_are_unique_personal_and_redeemed_once_and_the_list_is_an_audience(company):
    store = company
    campaign_id = create_campaign(store, MARKETER, save_playbook(store, MARKETER, OFFER), seed=3)
    result = launch(store, MARKETER, campaign_id, at=AT)
    treated = {int(p) for (p,) in store.query("SELECT party_id FROM campaign_members WHERE campaign_id = ? "
                                              "AND arm = 'treated'", [campaign_id])}
    assert len(treated) > 20 and result["vouchers"] == len(treated) == result["listed"]
    codes = dict(store.query("SELECT party_id, code FROM vouchers WHERE campaign_id = ?", [campaign_id]))
    assert set(codes) == treated and len(set(codes.values())) == len(codes)  # one each, all different
    assert all(re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", c) for c in codes.values())
    for pid, body in store.query("SELECT party_id, body FROM outbox WHERE campaign_id = ?", [campaign_id]):
        assert body.endswith(f"use {codes[pid]} at the till.")
    expires = store.scalar("SELECT min(expires_at) FROM vouchers WHERE campaign_id = ?", [campaign_id])
    assert expires == AT + dt.timedelta(days=30)

    pid, code = min(codes.items())
    done = offers.redeem(store, MARKETER, code.lower(), at=AT + dt.timedelta(days=1))  # typed in lower case
    assert done["redeemed_at"] == AT + dt.timedelta(days=1) and done["party_id"] == pid
    with pytest.raises(Conflict, match="redeemed already"):
        offers.redeem(store, MARKETER, code, at=AT + dt.timedelta(days=2))
    late = next(c for c in sorted(codes.values()) if c != code)
    with pytest.raises(Conflict, match="expired"):
        offers.redeem(store, MARKETER, late, at=AT + dt.timedelta(days=31))
    with pytest.raises(NotFound):
        offers.redeem(store, MARKETER, "NOPE-NOPE-NOPE")
    with pytest.raises(PermissionDenied):
        offers.redeem(store, User(3, "ann", "analyst"), late)
    assert store.query("SELECT count(redeemed_at) FROM vouchers")[0][0] == 1
    assert store.query("SELECT party_id, kind, campaign_id FROM contact_events WHERE kind = 'response'") \
        == [(pid, "response", campaign_id)]
    assert offers.vouchers_of_campaign(store, campaign_id)["redeemed"] == 1
    assert [v["code"] for v in offers.vouchers_of_party(store, pid)] == [code]

    # The list: exactly the treated, paged; launching another campaign to it adds nobody twice.
    assert offers.lists(store)[0]["members"] == len(treated)
    pages = [offers.list_page(store, "Thanked in 2030", page=n, page_size=10) for n in (1, 2, 3)]
    seen = [m["party_id"] for p in pages for m in p["members"]]
    assert pages[0]["total"] == len(treated) and len(seen) == len(set(seen)) == min(30, len(treated))
    follow_up = OFFER.replace("A thank-you offer", "To the thanked").replace('triage = ["best", "average"]',
                                                                              'list = "Thanked in 2030"')
    second = create_campaign(store, MARKETER, save_playbook(store, MARKETER, follow_up), seed=4)
    launch(store, MARKETER, second, at=AT)
    members = {int(p) for (p,) in store.query("SELECT party_id FROM campaign_members WHERE campaign_id = ?", [second])}
    assert members == treated
    assert store.scalar("SELECT count(*) FROM list_members") == len(treated)
    assert offers.add_to_list(store, MARKETER, "Thanked in 2030", [pid]) == 0
    with pytest.raises(NotFound):
        offers.list_page(store, "No such list")


def test_the_preview_excludes_as_the_send_time_gate_would(company):
    store = company
    text = OFFER.replace("\nvoucher = \"10% off your next order\"\nvoucher_days = 30", "")
    campaign_id = create_campaign(store, MARKETER, save_playbook(store, MARKETER, text), seed=3)
    table = assign(store, get_campaign(store, campaign_id), AT)
    before = dict(zip(table.column("party_id").to_pylist(), table.column("arm").to_pylist(), strict=True))
    reachable = [pid for pid, arm in before.items() if arm in ("treated", "control")]
    capped, bounced = reachable[0], reachable[1]
    email = store.scalar("SELECT email FROM parties WHERE party_id = ?", [bounced])
    store.raw.execute("INSERT INTO contact_events (party_id, channel, kind, detail, occurred_at) VALUES "
                      "(?, 'email', 'sent', NULL, ?), (?, 'email', 'sent', NULL, ?), "
                      "(?, 'email', 'bounce', ?, ?)",
                      [capped, AT - dt.timedelta(days=1), capped, AT - dt.timedelta(days=2),
                       bounced, f"hard {email.strip().lower()}", AT - dt.timedelta(days=3)])
    gate = blocks(store, [capped, bounced], channel="email", purpose="newsletter", at=AT)
    assert gate[capped] == "over the frequency cap: 2 email messages in the last 7 days (at most 2)"
    assert gate[bounced].startswith(f"the address {email.strip().lower()} bounced on")
    assert preview_member(store, campaign_id, capped, at=AT) == {"party_id": capped, "arm": "excluded",
                                                                 "reason": gate[capped]}
    assert preview_member(store, campaign_id, bounced, at=AT)["reason"] == gate[bounced]
    shown = preview(store, campaign_id, at=AT)
    assert shown["excluded"]["over the frequency cap (at most 2 email messages in 7 days)"] == 1
    assert shown["excluded"]["the email address hard-bounced"] == 1
    # Every exclusion the preview shows is the gate's own verdict for that person.
    everyone = [int(p) for (p,) in store.query("SELECT party_id FROM scores WHERE run_id = ? AND triage IN "
                                               "('best', 'average')", [current_run(store)])]
    verdicts = blocks(store, everyone, channel="email", purpose="newsletter", at=AT)
    launch(store, MARKETER, campaign_id, at=AT)
    stored = {int(p): (a, r) for p, a, r in store.query(
        "SELECT party_id, arm, reason FROM campaign_members WHERE campaign_id = ?", [campaign_id])}
    for pid, (arm, reason) in stored.items():
        if arm == "excluded" and pid in verdicts:
            assert reason == verdicts[pid]
        elif arm in ("treated", "control"):
            assert pid not in verdicts
    assert not store.query("SELECT 1 FROM outbox WHERE campaign_id = ? AND party_id IN (?, ?)",
                           [campaign_id, capped, bounced])


def test_only_an_admin_overrides_the_holdout_and_it_is_audited(company):
    store = company
    text = OFFER.replace("A thank-you offer", "Everyone, holdout too")
    campaign_id = create_campaign(store, MARKETER, save_playbook(store, MARKETER, text), seed=3)
    kept = preview(store, campaign_id, at=AT)
    assert kept["arms"]["holdout"] > 0
    with pytest.raises(PermissionDenied, match="marketing role"):
        override_holdout(store, MARKETER, campaign_id, "include", "recall notice")
    assert get_campaign(store, campaign_id)["holdout_override"] is None
    assert not store.query("SELECT 1 FROM audit_log WHERE action = 'campaign.holdout_override'")

    override_holdout(store, ADMIN, campaign_id, "include", "a product recall reaches everyone")
    included = preview(store, campaign_id, at=AT)
    assert included["arms"]["holdout"] == 0 and included["audience"] == kept["audience"]
    assert included["arms"]["treated"] + included["arms"]["control"] + included["arms"]["excluded"] \
        == kept["audience"]
    audit = store.records("SELECT username, entity_id, detail FROM audit_log WHERE action = 'campaign.holdout_override'")
    assert len(audit) == 1 and audit[0]["username"] == "root" and audit[0]["entity_id"] == campaign_id
    assert '"mode": "include"' in audit[0]["detail"] and "product recall" in audit[0]["detail"]
    assert get_campaign(store, campaign_id)["holdout_override"]["by"] == "root"
    # A column of its own (migration 21), not a key of the action the message is made of.
    column = store.records("SELECT holdout_override, holdout_override_by, holdout_override_at, holdout_override_why, "
                           "action FROM campaigns WHERE campaign_id = ?", [campaign_id])[0]
    assert (column["holdout_override"], column["holdout_override_by"]) == ("include", "root")
    assert column["holdout_override_at"] is not None and "product recall" in column["holdout_override_why"]
    assert "holdout_override" not in column["action"]

    override_holdout(store, ADMIN, campaign_id, "exclude", "measure on the random control only")
    left_out = preview(store, campaign_id, at=AT)
    assert left_out["arms"]["holdout"] == 0 and left_out["audience"] == kept["audience"] - kept["arms"]["holdout"]
    launch(store, ADMIN, campaign_id, at=AT)
    members = [int(p) for (p,) in store.query("SELECT party_id FROM campaign_members WHERE campaign_id = ?",
                                              [campaign_id])]
    assert members and not any(holdout_bucket(p) < cut(0.05) for p in members)
    with pytest.raises(Conflict, match="before launch"):
        override_holdout(store, ADMIN, campaign_id, None)
    launched = store.records("SELECT detail FROM audit_log WHERE action = 'campaign.launch' AND entity_id = ?",
                             [campaign_id])
    assert '"holdout_override": "exclude"' in launched[0]["detail"]


def test_a_holdout_override_kept_in_the_action_before_migration_21_still_counts(company):
    store = company
    campaign_id = create_campaign(store, MARKETER, save_playbook(store, MARKETER, OFFER), seed=5)
    kept = preview(store, campaign_id, at=AT)
    with store.transaction():  # as stop 20 wrote it
        store.raw.execute(
            "UPDATE campaigns SET action = ? WHERE campaign_id = ?",
            [('{"subject": "Thanks", "body": "Dear {name}", "holdout_override": {"mode": "include", "by": "root", '
              '"at": "2030-01-01T00:00:00", "why": "recall"}}'), campaign_id])
    found = get_campaign(store, campaign_id)["holdout_override"]
    assert found == {"mode": "include", "by": "root", "at": "2030-01-01T00:00:00", "why": "recall"}
    assert kept["arms"]["holdout"] > 0 and preview(store, campaign_id, at=AT)["arms"]["holdout"] == 0
    override_holdout(store, ADMIN, campaign_id, None, "back to the rule")
    again = store.records("SELECT holdout_override, action FROM campaigns WHERE campaign_id = ?", [campaign_id])[0]
    assert again["holdout_override"] is None and "holdout_override" not in again["action"]
    assert preview(store, campaign_id, at=AT)["arms"]["holdout"] == kept["arms"]["holdout"]
