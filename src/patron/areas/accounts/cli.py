"""``patron accounts`` (the portfolio, one account, links and assessments) and ``patron network``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import typer
from rich.table import Table

from patron.cli.common import StoreOption, console, open_store, plain
from patron.cli.toml_setting import toml_setting_command
from patron.store.vocabulary import ASSESSMENT_FORMS, LINK_TYPES

accounts_app = typer.Typer(help="Accounts and their relationships: the portfolio, one account's stakeholders, "
                                "links between parties and assessments.", no_args_is_help=True)
commands = typer.Typer()
commands.add_typer(accounts_app, name="accounts")
AsOf = Annotated[Optional[dt.datetime], typer.Option(help="Measure as of this time (default: the latest activity).")]


def _label(word: str | None) -> str:
    return "" if word is None else word.replace("_", " ")


@accounts_app.command("list")
def accounts_list(as_of: AsOf = None, store: StoreOption = None) -> None:
    """Every account: stage, Bensaou quadrant, strength, relationship matrix and alerts."""
    from patron.areas.accounts.service import OPERATOR, accounts

    with open_store(store, read_only=True) as s:
        rows = accounts(s, OPERATOR, as_of=as_of)
    table = Table(title=f"accounts ({len(rows)})")
    for col in ("id", "account", "people", "engaged", "strength", "stage", "Bensaou", "matrix", "alerts"):
        table.add_column(col, justify="right" if col in ("id", "people", "engaged", "strength") else "left")
    for r in rows:
        table.add_row(str(r["party_id"]), r["name"] or "", str(r["people"]), str(r["engaged"]), f"{r['strength']:.1f}",
                      _label(r["stage"]), _label(r["bensaou"]) or "not assessed",
                      f"{r['proximity']}, {_label(r['duration'])}", ", ".join(_label(a) for a in r["alerts"]))
    console.print(table)


@accounts_app.command("show")
def accounts_show(account: Annotated[int, typer.Argument(help="The organisation's party id.")],
                  as_of: AsOf = None, store: StoreOption = None) -> None:
    """One account: its stakeholders, buying-centre coverage, alerts, team, strength, trust, stages (Ford's and
    Wilson's) and its subsidiaries and sites rolled up."""
    from patron.areas.accounts.service import OPERATOR, account_view

    with open_store(store, read_only=True) as s:
        v = account_view(s, OPERATOR, account, as_of=as_of)
    console.print(f"[bold]{v['account']['name']}[/bold] (party {account}) as of {v['as_of']:%Y-%m-%d}")
    for alert in v["alerts"]:
        console.print(f"[red]! {alert['text']}[/red]")
    table = Table(title="stakeholders")
    for col in ("id", "name", "title", "buying roles", "reports to", "influence", "interest", "attitude",
                "strength", "trust", "engaged"):
        table.add_column(col)
    for p in v["people"]:
        t = p["trust"]
        table.add_row(str(p["party_id"]), p["name"], p["title"] or "", ", ".join(p["buying_roles"]),
                      str(p["reports_to"] or ""), f"{p['influence'] or ''}", f"{p['interest'] or ''}",
                      p["attitude"] or "", f"{p['strength']['score']:.1f}",
                      f"{t['trust']:.2f} ({t['summary']})" if t else "", "yes" if p["engaged"] else "no")
    console.print(table)
    covered = [f"{r}: {'yes' if ids else 'no'}" for r, ids in v["coverage"].items()]
    console.print("buying-centre coverage (engaged contact per role): " + "; ".join(covered))
    console.print("account team: " + (", ".join(f"{m['name']} ({_label(m['role'])})" for m in v["team"]) or "none"))
    console.print(f"strength {v['strength']:.1f}/100  ({v['strength_formula']})")
    st = v["stage"]
    console.print(f"stage: {_label(st['stage'])} ({_label(st['phase'])}) because {st['rule']}; "
                  f"evidence: {'; '.join(st['evidence'])}")
    ws = v["wilson_stage"]
    console.print(f"Wilson's stage: {_label(ws['stage'])} ({ws['step']} of 5) because {ws['rule']}; what matters "
                  f"now: {', '.join(c['label'] for c in ws['constructs'])}")
    r = v["rollup"]
    for c in r["children"]:
        console.print(f"  {_label(c['link_type'])} {c['name'] or c['party_id']} (party {c['party_id']}, level "
                      f"{c['depth']}): revenue {c['revenue']:,.0f}, {c['activity_365d']} contacts in 365 days, "
                      f"strength {c['strength']:.1f}")
    if r["children"]:
        console.print(f"with its subsidiaries and sites: revenue {r['revenue']:,.0f}, {r['activity_365d']} contacts "
                      f"in 365 days, {r['engaged']} engaged contacts, mean strength {r['strength']:.1f}")
    console.print(f"Bensaou: {_label(v['bensaou']) or 'not assessed (record an investments form)'}; "
                  f"matrix: {v['matrix']['proximity']}, {_label(v['matrix']['duration'])}; "
                  f"nature: {_label(v['matrix']['nature'])}")
    if v["trust"]:
        console.print(f"account trust {v['trust']['trust']:.2f} of 30: {v['trust']['summary']}")


@accounts_app.command("rollup")
def accounts_rollup(account: Annotated[Optional[int], typer.Argument(
                        help="The account's party id (default: every group).", show_default=False)] = None,
                    as_of: AsOf = None, store: StoreOption = None) -> None:
    """An account's group, or every group: the head, its subsidiaries (parent_of) and their sites
    (location_of), each with its depth, value, people, activity in the last 365 days and health (relationship
    strength and engaged contacts), and the group's totals."""
    from patron.areas.accounts.service import OPERATOR, group_rollups

    with open_store(store, read_only=True) as s:
        found = group_rollups(s, OPERATOR, account, as_of=as_of)
    if not found["groups"]:
        console.print("No account heads a group: link a subsidiary with "
                      "patron accounts link HEAD parent_of SUBSIDIARY.", markup=False)
        return
    table = Table(title=f"account groups as of {found['as_of']:%Y-%m-%d} ({len(found['groups'])})")
    for col in ("group", "account", "id", "depth", "value", "people", "activity (365 days)", "health"):
        table.add_column(col, justify="right" if col in ("id", "depth", "value", "people", "activity (365 days)")
                         else "left")
    for g in found["groups"]:
        for m in g["members"]:
            indent = "  " * m["depth"]
            how = f" ({_label(m['link_type'])})" if m["link_type"] else ""
            table.add_row(plain(g["name"] or g["party_id"]) if m["depth"] == 0 else "",
                          plain(f"{indent}{m['name'] or m['party_id']}{how}"), str(m["party_id"]), str(m["depth"]),
                          f"{m['revenue']:,.2f}", f"{m['people']:,}", f"{m['activity_365d']:,}",
                          f"strength {m['strength']:.1f}, {m['engaged']:,} engaged")
        table.add_row("", "whole group", "", "", f"{g['revenue']:,.2f}", f"{g['people']:,}",
                      f"{g['activity_365d']:,}", f"strength {g['strength']:.1f}, {g['engaged']:,} engaged",
                      end_section=True)
    console.print(table)


@accounts_app.command("link")
def accounts_link(party: Annotated[int, typer.Argument(help="The party the link starts from (a person...).")],
                  link_type: Annotated[str, typer.Argument(help=f"One of: {', '.join(LINK_TYPES)}.")],
                  other: Annotated[int, typer.Argument(help="The party linked to (the account, the manager...).")],
                  role: Annotated[Optional[str], typer.Option(help="Buying-centre role, team role or job role.")] = None,
                  department: Annotated[Optional[str], typer.Option(help="Department.")] = None,
                  since: Annotated[Optional[dt.datetime], typer.Option(help="Since (a date).")] = None,
                  until: Annotated[Optional[dt.datetime], typer.Option(help="Until (a date).")] = None,
                  store: StoreOption = None) -> None:
    """Link two parties, e.g. ``patron accounts link 12 buying_role 3 --role decider``."""
    from patron.areas.accounts.service import OPERATOR, add_link

    with open_store(store) as s:
        link = add_link(s, OPERATOR, party, other, link_type, role=role, department=department,
                        since=since.date() if since else None, until=until.date() if until else None)
    console.print(f"Link {link['link_id']}: party {party} {_label(link_type)} party {other}"
                  f"{f' ({role})' if role else ''}.")


@accounts_app.command("assess")
def accounts_assess(party: Annotated[int, typer.Argument(help="The contact or account assessed.")],
                    form: Annotated[str, typer.Argument(help=f"One of: {', '.join(ASSESSMENT_FORMS)}.")],
                    answers: Annotated[list[str], typer.Argument(help="item=value pairs, e.g. credibility=8.")],
                    store: StoreOption = None) -> None:
    """Record an assessment, e.g. ``patron accounts assess 12 trust credibility=8 reliability=7 intimacy=5
    self_orientation=3``."""
    from patron.areas.accounts.service import OPERATOR, add_assessment
    from patron.errors import InvalidInput

    pairs = {}
    for a in answers:
        if "=" not in a:
            raise InvalidInput(f"'{a}' is not item=value (e.g. credibility=8).")
        k, v = a.split("=", 1)
        pairs[k.strip()] = v.strip()
    with open_store(store) as s:
        done = add_assessment(s, OPERATOR, party, form, pairs)
    console.print(f"Recorded {form} for party {party}: "
                  + ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in done["answers"].items()))


@commands.command()
def network(top: Annotated[int, typer.Option(help="How many referrers, communities and bridges to list.")] = 10,
            without_staff: Annotated[bool, typer.Option(
                "--without-staff", help="Leave the firm's staff out of the communities and bridges, as the "
                                        "firm itself always is.")] = False,
            store: StoreOption = None) -> None:
    """The network of links and referrals: referral reach and value, communities, bridges and homophily.
    The firm's own party is left out of the communities and bridging contacts (it is linked to every
    supplier and partner)."""
    from patron.areas.accounts.service import OPERATOR, network_summary

    with open_store(store, read_only=True) as s:
        n = network_summary(s, OPERATOR, top=top, without_staff=without_staff)
    console.print(f"{n['nodes']} parties, {n['edges']} ties")
    table = Table(title="referrers by customer referral value")
    for col in ("id", "name", "brought in", "reach", "chain depth", "direct value", "indirect value", "referral value"):
        table.add_column(col, justify="left" if col == "name" else "right")
    for r in n["referrers"]:
        table.add_row(str(r["party_id"]), r["name"] or "", str(r["direct"]), str(r["reach"]), str(r["depth"]),
                      f"{r['direct_value']:,.2f}", f"{r['indirect_value']:,.2f}", f"{r['referral_value']:,.2f}")
    console.print(table)
    console.print("communities (size): " + ", ".join(str(c["size"]) for c in n["communities"]))
    console.print("bridging contacts (betweenness): " + ", ".join(
        f"{b['name'] or b['party_id']} {b['betweenness']:.3f}" for b in n["bridges"]))
    console.print("homophily (assortativity; 1 = ties only within a group): " + "; ".join(
        f"{k} {'n/a' if v is None else f'{v:.3f}'}" for k, v in n["assortativity"].items()))


def _read_rules(store):
    from patron.areas.accounts.relationship_rules import relationship_rules

    return relationship_rules(store)


def _write_rules(store, text: str):
    from patron.areas.accounts.relationship_rules import set_relationship_rules

    return set_relationship_rules(store, None, text)


def _show_rules(rules) -> None:
    from patron.areas.accounts.relationship_rules import rules_to_toml

    console.print(rules_to_toml(rules), markup=False, highlight=False)


toml_setting_command(
    commands, "relationship-rules", what="relationship rules", read=_read_rules, write=_write_rules,
    show=_show_rules, saved="Relationship rules saved.", restored="Back to the built-in rules.",
    help="The rules the account view and the portfolio apply, as TOML: relationship-strength weights, Ford's and "
         "Wilson's stage thresholds, champion gone quiet, single-threaded, Bensaou's cut-offs. --set FILE replaces "
         "them (a section or field left out keeps its default).")
