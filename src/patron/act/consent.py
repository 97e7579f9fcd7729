"""Consent, read from its ledger: whether a person may be contacted on a channel for a purpose, now.

``consents`` is a ledger: every opt-in and opt-out is a row (channel, purpose, granted, when, lawful basis,
evidence), none is overwritten. A person's consent for a channel and purpose is their latest row for it;
for a channel without a purpose, their latest row for that channel whatever the purpose (someone who
withdrew from the newsletter last week has said no to email). Nobody is contactable without a row
granting it, and nobody on the suppression list (erased, or opted out of everything) is, whatever the
ledger says.
"""

from __future__ import annotations

from dataclasses import dataclass

from patron.errors import InvalidInput
from patron.store import Store
from patron.store.vocabulary import CONSENT_CHANNELS

#: What an export does with people who may not be contacted.
WITHOUT_CONSENT = ("exclude", "mark")


@dataclass(frozen=True)
class ConsentRule:
    """The contact a list is for: a channel, and a purpose (``None``: any purpose on that channel)."""

    channel: str = "email"
    purpose: str | None = None
    #: ``exclude`` (the default) drops people without current consent; ``mark`` keeps them, with the status
    without: str = "exclude"

    def __post_init__(self) -> None:
        if self.channel not in CONSENT_CHANNELS:
            raise InvalidInput(f"Unknown channel '{self.channel}'. Channels: {', '.join(CONSENT_CHANNELS)}.")
        if self.without not in WITHOUT_CONSENT:
            raise InvalidInput(f"People without consent are either excluded or marked, not '{self.without}'.")

    def describe(self) -> str:
        return f"{self.channel}{' for ' + self.purpose if self.purpose else ''}"


def latest_consent_sql(rule: ConsentRule, only: str = "") -> tuple[str, list]:
    """SQL of ``(party_id, granted, recorded_at, lawful_basis)``: each party's latest consent under ``rule``
    (``only``: a further SQL condition on the consents read, `` AND party_id IN (...)``)."""
    where, params = ["channel = ?"], [rule.channel]
    if rule.purpose:
        where.append("purpose = ?")
        params.append(rule.purpose)
    return ("SELECT party_id, granted, recorded_at, lawful_basis FROM (SELECT party_id, granted, recorded_at, "
            "lawful_basis, row_number() OVER (PARTITION BY party_id ORDER BY recorded_at DESC, consent_id DESC) "
            f"AS latest FROM consents WHERE {' AND '.join(where)}{only}) c WHERE latest = 1"), params


def picture_consent_sql(rule: ConsentRule, party: str = "p") -> tuple[str, list]:
    """SQL condition on a ``party_picture`` row ``party``: its latest consent under ``rule`` is a grant.

    Read from the read model (:mod:`patron.store.picture`): the latest consent per channel is a column of the
    row, the latest per channel and purpose a row of ``consent_latest``. Suppression is the row's ``suppressed``.
    """
    if rule.purpose is None:
        return f"coalesce({party}.consent_{rule.channel}, FALSE)", []
    return (f"{party}.party_id IN (SELECT party_id FROM consent_latest WHERE channel = ? AND purpose = ? "
            "AND granted)"), [rule.channel, rule.purpose]


def picture_consent_column(rule: ConsentRule, party: str = "p") -> tuple[str, list]:
    """A ``consent`` column (granted, withdrawn, none or suppressed) of a ``party_picture`` row ``party``."""
    if rule.purpose is None:
        latest, params = f"{party}.consent_{rule.channel}", []
    else:
        latest = (f"(SELECT cx.granted FROM consent_latest cx WHERE cx.party_id = {party}.party_id "
                  "AND cx.channel = ? AND cx.purpose = ?)")
        params = [rule.channel, rule.purpose]
    return (f"CASE WHEN {party}.suppressed THEN 'suppressed' ELSE "
            f"CASE {latest} WHEN TRUE THEN 'granted' WHEN FALSE THEN 'withdrawn' ELSE 'none' END END"), params


#: SQL condition on ``{p}.party_id``: the party is on the suppression list.
SUPPRESSED = "EXISTS (SELECT 1 FROM suppressions sx WHERE sx.party_id = {p}.party_id)"


def consent_columns(rule: ConsentRule, party: str = "p") -> tuple[str, str, list]:
    """A join and a ``consent`` column (granted, withdrawn, none or suppressed) to add to a list's query."""
    latest, params = latest_consent_sql(rule)
    join = f"LEFT JOIN ({latest}) cn ON cn.party_id = {party}.party_id"
    column = (f"CASE WHEN {SUPPRESSED.format(p=party)} THEN 'suppressed' WHEN cn.granted THEN 'granted' "
              "WHEN cn.granted IS NULL THEN 'none' ELSE 'withdrawn' END")
    return join, column, params


def party_consents(store: Store, party_id: int) -> list[dict]:
    """A person's consent per channel and purpose (the latest row of each), with its history count.

    One plain filter on ``party_id``, the latest picked here: a window in the query keeps DuckDB from answering
    it from the ``party_id`` index (a scan of the whole ledger).
    """
    latest: dict[tuple, dict] = {}
    changes: dict[tuple, int] = {}
    for row in store.records("SELECT channel, purpose, granted, recorded_at, lawful_basis, evidence, source, "
                             "consent_id FROM consents WHERE party_id = ?", [party_id]):
        key = (row["channel"], row["purpose"])
        changes[key] = changes.get(key, 0) + 1
        if key not in latest or (row["recorded_at"], row["consent_id"]) > (latest[key]["recorded_at"],
                                                                           latest[key]["consent_id"]):
            latest[key] = row
    return [{**{k: v for k, v in latest[key].items() if k != "consent_id"}, "changes": changes[key]}
            for key in sorted(latest)]


def is_suppressed(store: Store, party_id: int) -> bool:
    return bool(store.scalar("SELECT count(*) FROM suppressions WHERE party_id = ?", [party_id]))
