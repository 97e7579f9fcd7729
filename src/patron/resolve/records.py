"""Person records for matching, built from the parties the store holds."""

from __future__ import annotations

import pandas as pd

from patron.resolve.model import RECORD_COLUMNS

#: What is read from ``parties``: every detail a person is recognised by.
PARTY_COLUMNS = ("party_id", "kind", "name", "email", "phone", "address", "postcode", "city", "birth_date",
                 "organisation_id")


def _text(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip().str.lower().str.replace(r"\s+", " ", regex=True)
    return text.where(text.notna() & (text != ""), None).astype(object)


def party_records(parties: pd.DataFrame) -> pd.DataFrame:
    """Normalise party rows (:data:`PARTY_COLUMNS`) into person records.

    A person's name is split at the first space (first name, surname); an
    organisation's whole name is its ``surname``. E-mail is lower-cased and its
    user part kept apart (a typo in the domain leaves it intact); phone numbers
    keep their digits only.

    Example
    -------
    >>> row = party_records(pd.DataFrame({"party_id": [7], "kind": ["person"], "name": ["Ada  Lovelace"],
    ...     "email": ["Ada@Example.org"], "phone": ["+44 20 7946"], "address": [None], "postcode": [None],
    ...     "city": ["London"], "birth_date": [None], "organisation_id": [None]})).iloc[0]
    >>> [row.first_name, row.surname, row.email_user, row.phone]
    ['ada', 'lovelace', 'ada', '44207946']
    """
    name = _text(parties["name"])
    person = parties["kind"].astype(str) != "organisation"
    split = name.astype("string").str.split(" ", n=1, expand=True).reindex(columns=[0, 1])
    email = _text(parties["email"])
    phone = parties["phone"].astype("string").str.replace(r"\D", "", regex=True)
    birth = pd.to_datetime(parties["birth_date"], errors="coerce")
    records = pd.DataFrame({
        "unique_id": parties["party_id"].astype("int64").astype(str),
        "kind": parties["kind"].astype(str),
        "first_name": split[0].where(person & split[1].notna(), None).astype(object),
        "surname": split[1].where(person & split[1].notna(), name).astype(object),
        "full_name": name,
        "email": email,
        # An organisation's address is a role (accounts@, info@): its user part says nothing of who it is.
        "email_user": email.astype("string").str.extract(r"^([^@]+)@", expand=False).where(person, None)
        .astype(object),
        "email_domain": email.astype("string").str.extract(r"@([^@]+)$", expand=False).astype(object),
        "phone": phone.where(phone.str.len() >= 6, None).astype(object),
        "address": _text(parties["address"]),
        "postcode": _text(parties["postcode"]),
        "city": _text(parties["city"]),
        "birth_date": birth.dt.strftime("%Y-%m-%d").where(birth.notna(), None).astype(object),
        "organisation": parties["organisation_id"].astype("Int64").astype("string").astype(object),
    })
    # A firm's web domain: its own address's, or else the one most of its contacts' addresses share.
    contacts = pd.DataFrame({"organisation": records["organisation"], "domain": records["email_domain"]}).dropna()
    if len(contacts):
        usual = contacts.groupby("organisation")["domain"].agg(lambda d: d.value_counts().index[0])
        own = records["email_domain"].where(~person)
        records["email_domain"] = records["email_domain"].where(person, own.fillna(records["unique_id"].map(usual)))
    return records.loc[:, list(RECORD_COLUMNS)].where(records.notna(), None)


def read_party_records(store) -> pd.DataFrame:
    """Every party of the store as a person record."""
    columns = ", ".join(PARTY_COLUMNS)
    parties = store.raw.execute(f"SELECT {columns} FROM parties ORDER BY party_id").df()
    return party_records(parties)
