"""Campaigns on the demo company, on both stores: the arms and exclusions equal a recomputation in Python from
the raw tables, launching queues one message per treated member once, and the holdout's bucket is the same in
Python and in each store's SQL."""

from __future__ import annotations

import datetime as dt

import pytest

from companies import demo_company
from patron.act.holdout import BUCKETS, control_bucket, control_bucket_sql, cut, holdout_bucket, holdout_bucket_sql
from patron.act.playbooks import parse_playbook
from patron.areas.campaigns.service import (
    create_campaign,
    get_campaign,
    launch,
    preview,
    reason_label,
    save_playbook,
    set_status,
)
from patron.errors import Conflict, InvalidInput, NotFound
from patron.service.permissions import User
from patron.service.runs import current_run
from store_engines import ENGINES, new_store_url

ADMIN = User(1, "root", "admin")
AT = dt.datetime(2030, 1, 1)
PLAYBOOK = """
name = "Keep the best"
channel = "email"
purpose = "newsletter"
control_share = 0.2
[audience]
triage = ["best", "average"]
[action]
subject = "A thank-you for {first_name}"
body = "Dear {name}, thank you."
"""


@pytest.fixture(params=ENGINES)
def company(request, tmp_path):
    with demo_company(tmp_path, 400, 8, new_store_url(request, request.param, tmp_path)) as store:
        yield store


def _expected(store, share_control: float, seed: int) -> dict[int, tuple[str, str | None]]:
    """Each audience member's arm and reason, from the raw tables in Python."""
    run = current_run(store)
    members = [pid for pid, triage in store.query("SELECT party_id, triage FROM scores WHERE run_id = ?", [run])
               if triage in ("best", "average")]
    email = dict(store.query("SELECT party_id, email FROM parties"))
    suppressed = {pid for (pid,) in store.query("SELECT party_id FROM suppressions")}
    latest: dict[int, tuple] = {}
    for pid, granted, at, cid in store.query("SELECT party_id, granted, recorded_at, consent_id FROM consents "
                                             "WHERE channel = 'email' AND purpose = 'newsletter'"):
        if at <= AT and (pid not in latest or (at, cid) > latest[pid][:2]):
            latest[pid] = (at, cid, granted)
    out = {}
    for pid in members:
        if holdout_bucket(pid) < cut(0.05):
            out[pid] = ("holdout", "global holdout")
        elif pid in suppressed:
            out[pid] = ("excluded", "on the suppression list")
        elif pid not in latest:
            out[pid] = ("excluded", "no consent to email for newsletter on record")
        elif not latest[pid][2]:
            out[pid] = ("excluded", f"consent to email for newsletter withdrawn on {latest[pid][0]:%Y-%m-%d}")
        elif not (email.get(pid) or "").strip():
            out[pid] = ("excluded", "no email address")
        elif control_bucket(pid, seed) < cut(share_control):
            out[pid] = ("control", None)
        else:
            out[pid] = ("treated", None)
    return out


def test_arms_exclusions_and_a_launch_that_queues_once(company):
    store = company
    playbook_id = save_playbook(store, ADMIN, PLAYBOOK)
    campaign_id = create_campaign(store, ADMIN, playbook_id, seed=7)
    expected = _expected(store, 0.2, 7)
    arms = {a: sum(1 for v in expected.values() if v[0] == a) for a in ("treated", "control", "holdout", "excluded")}
    assert arms["treated"] > 20 and arms["control"] > 3 and arms["excluded"] > 0  # the demo has all of them
    shown = preview(store, campaign_id, at=AT)
    assert shown["arms"] == arms and shown["audience"] == len(expected)
    reasons = {}
    for arm, reason in expected.values():
        if arm == "excluded":
            reasons[reason_label(reason)] = reasons.get(reason_label(reason), 0) + 1
    assert "consent withdrawn (email for newsletter)" in reasons  # the label drops each person's date
    assert shown["excluded"] == reasons

    result = launch(store, ADMIN, campaign_id, at=AT)
    assert result["queued"] == arms["treated"]
    stored = {pid: (arm, reason) for pid, arm, reason in
              store.query("SELECT party_id, arm, reason FROM campaign_members WHERE campaign_id = ?", [campaign_id])}
    assert stored == expected
    mails = store.records("SELECT o.party_id, o.recipient, o.subject, o.body, o.idempotency_key, p.name, p.email "
                          "FROM outbox o JOIN parties p ON p.party_id = o.party_id WHERE o.campaign_id = ?",
                          [campaign_id])
    assert sorted(m["party_id"] for m in mails) == sorted(p for p, v in expected.items() if v[0] == "treated")
    for m in mails:
        assert m["recipient"] == m["email"]
        assert m["subject"] == f"A thank-you for {m['name'].split(' ')[0]}"
        assert m["body"] == f"Dear {m['name']}, thank you."
        assert m["idempotency_key"] == f"campaign:{campaign_id}:party:{m['party_id']}"

    with pytest.raises(Conflict, match="only a draft"):
        launch(store, ADMIN, campaign_id, at=AT)
    assert store.scalar("SELECT count(*) FROM outbox WHERE campaign_id = ?", [campaign_id]) == arms["treated"]
    assert set_status(store, ADMIN, campaign_id, "paused")["status"] == "paused"
    with pytest.raises(Conflict):
        set_status(store, ADMIN, campaign_id, "paused")
    assert get_campaign(store, campaign_id)["status"] == "paused"
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'campaign.launch'") == 1

    # A task for the account owner instead of a mail: one task per treated member, owner from the party.
    store.raw.execute("UPDATE parties SET owner = 'ann'")
    task_book = save_playbook(store, ADMIN, PLAYBOOK.replace('channel = "email"', 'channel = "task"')
                              .replace("Keep the best", "Call the best"))
    task_campaign = create_campaign(store, ADMIN, task_book, seed=7)
    launched = launch(store, ADMIN, task_campaign, at=AT)
    tasks = store.records("SELECT owner, title, due_at FROM tasks WHERE campaign_id = ?", [task_campaign])
    assert len(tasks) == launched["queued"] == launched["arms"]["treated"] > 0
    assert {t["owner"] for t in tasks} == {"ann"} and all(t["due_at"] == AT + dt.timedelta(days=3) for t in tasks)


def test_holdout_and_control_buckets_are_the_same_in_python_and_sql(company):
    store = company
    ids = list(range(1, 100_001))
    got = store.query(f"SELECT i, {holdout_bucket_sql('i')}, {control_bucket_sql(42, 'i')} "
                      "FROM (SELECT CAST(g AS BIGINT) AS i FROM generate_series(1, 100000) AS t(g)) r ORDER BY i")
    assert [(i, holdout_bucket(i), control_bucket(i, 42)) for i in ids] == [tuple(map(int, r)) for r in got]
    held = sum(1 for i in ids if holdout_bucket(i) < cut(0.05))
    assert abs(held / len(ids) - 0.05) < 0.003
    assert all(0 <= holdout_bucket(i) < BUCKETS for i in (0, 2**31, 2**62))


@pytest.mark.parametrize(("change", "message"), [
    ('channel = "email"', "playbook.name"),
    ('channel = "fax"', "playbook.channel: unknown channel 'fax'"),
    ('purpose = "spam"', "playbook.purpose"),
    ('control_share = 0.9', "control share"),
    ('[audience]\ntriage = "gold"', "audience.triage: unknown value 'gold'"),
    ('[action]\nbody = "no subject"', "playbook.action.subject"),
    ('colour = "red"', "unknown field"),
    ('name = [', "not valid TOML"),
])
def test_a_bad_playbook_is_refused_naming_the_field(change, message):
    text = {"playbook.name": 'channel = "email"\n[action]\nsubject = "x"'}.get(message)
    if text is None:
        head = [line for line in ('name = "x"', 'channel = "email"', 'purpose = "marketing"', 'control_share = 0.1')
                if line.split(" = ")[0] != change.split(" = ")[0]]
        tables = "" if change.startswith("[action]") else '\n[action]\nsubject = "s"'
        text = "\n".join(head) + "\n" + (change if change.startswith("[") else "") + tables
        if not change.startswith("["):
            text = change + "\n" + text
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse_playbook(text)


def test_the_default_playbooks_cover_every_group_and_rung(tmp_path):
    from patron.areas.campaigns.service import install_defaults, list_playbooks
    from patron.store import Store
    from patron.store.vocabulary import LADDER_STATES

    with Store(tmp_path / "p.duckdb") as store:
        first = install_defaults(store, ADMIN)
        assert install_defaults(store, ADMIN) == first  # saved again: replaced, not doubled
        books = list_playbooks(store)
        assert len(books) == len(first) == store.scalar("SELECT count(*) FROM playbooks")
        described = " | ".join(b["audience"] for b in books)
        for group in ("best", "average", "worst"):
            assert f"triage {group}" in described
        for rung in LADDER_STATES:
            assert f"rung {rung}" in described


def test_a_trigger_must_be_one_patron_knows():
    with pytest.raises(InvalidInput, match="playbook.trigger.event: 'rain'"):
        parse_playbook('name = "x"\n[trigger]\nkind = "event"\nevent = "rain"\n[action]\nsubject = "s"')
    with pytest.raises(InvalidInput, match="playbook.trigger.every"):
        parse_playbook('name = "x"\n[trigger]\nkind = "schedule"\nevery = "fortnight"\n[action]\nsubject = "s"')


def test_a_saved_view_is_an_audience(company):
    from patron.areas.parties.lists import selected_parties
    from patron.areas.views.service import save_view

    store = company
    filters = [{"field": "country", "op": "eq", "value": "DE"}]
    save_view(store, ADMIN, "Germany", filters, shared=True)
    playbook_id = save_playbook(store, ADMIN, PLAYBOOK.replace('triage = ["best", "average"]', 'saved_view = "Germany"')
                                .replace("Keep the best", "German customers"))
    campaign_id = create_campaign(store, ADMIN, playbook_id, seed=3)
    launch(store, ADMIN, campaign_id, at=AT)
    scored = {pid for (pid,) in store.query("SELECT party_id FROM scores WHERE run_id = ?", [current_run(store)])}
    expected = {pid for pid in selected_parties(store, filters) if pid in scored}
    members = {pid for (pid,) in store.query("SELECT party_id FROM campaign_members WHERE campaign_id = ?",
                                              [campaign_id])}
    assert members == expected and len(members) > 10
    with pytest.raises(NotFound, match="no saved view of the customer list named 'Nowhere'"):
        create_campaign(store, ADMIN, save_playbook(store, ADMIN, PLAYBOOK.replace(
            'triage = ["best", "average"]', 'saved_view = "Nowhere"').replace("Keep the best", "x")))
        preview(store, store.scalar("SELECT max(campaign_id) FROM campaigns"), at=AT)


def test_a_launched_campaign_arrives_in_the_mailbox_and_a_paused_one_waits(tmp_path, smtp_server):
    from outbox_rows import no_quiet_hours

    from patron.areas.outbox.service import send

    with demo_company(tmp_path, 400, 8) as store:
        no_quiet_hours(store)
        book = save_playbook(store, ADMIN, PLAYBOOK)
        first, second = create_campaign(store, ADMIN, book, seed=7), create_campaign(store, ADMIN, book, seed=8)
        # today, so that the consents recorded are all in the past and the gate at sending agrees with the launch
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        treated = launch(store, ADMIN, first, at=now)["arms"]["treated"]
        launch(store, ADMIN, second, at=now)
        set_status(store, ADMIN, second, "paused")
        outcome = send(store, None, smtp_host="127.0.0.1", smtp_port=smtp_server.port, backoff=0,
                       public_url="http://patron.test")
        got = {m["X-Patron-Idempotency-Key"]: m for _, m in smtp_server.messages}
        mine = {k for k in got if k.startswith(f"campaign:{first}:")}
        # the first campaign's mails arrived (less any the frequency caps held back), the paused one's wait
        assert mine and len(mine) == outcome.sent <= treated
        assert not any(k.startswith(f"campaign:{second}:") for k in got)
        assert store.scalar("SELECT count(*) FROM outbox WHERE campaign_id = ? AND status = 'queued'", [second]) > 0
        names = dict(store.query("SELECT party_id, name FROM parties"))
        for key in mine:
            party = int(key.rsplit(":", 1)[1])
            assert got[key]["Subject"] == f"A thank-you for {names[party].split(' ')[0]}"


def test_a_webhook_campaign_posts_one_signed_event_per_treated_member(tmp_path, webhook_receiver):
    from patron.areas.outbox.service import send

    receiver = webhook_receiver(failures=0)
    with demo_company(tmp_path, 400, 8) as store:
        book = save_playbook(store, ADMIN, f'name = "Tell the CRM"\nchannel = "webhook"\ncontrol_share = 0.2\n'
                                           f'[audience]\ntriage = "best"\n[action]\nurl = "{receiver.url}"')
        campaign = create_campaign(store, ADMIN, book, seed=2)
        treated = launch(store, ADMIN, campaign)["arms"]["treated"]
        assert send(store, None, backoff=0).sent == treated > 0
        posted = sorted(event["party_id"] for _, event in receiver.delivered)
        expected = sorted(p for (p,) in store.query(
            "SELECT party_id FROM campaign_members WHERE campaign_id = ? AND arm = 'treated'", [campaign]))
        assert posted == expected
        assert all(event["campaign_id"] == campaign and event["event"] == "campaign" for _, event in receiver.delivered)
