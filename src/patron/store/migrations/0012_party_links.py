"""Relationships (issue 15): typed, dated and sourced links between parties, and the assessments an account
manager makes of a relationship (stakeholder map, trust equation, Wilson's constructs, specific investments).

A link reads "``party_id`` <link_type> ``other_party_id``": a person works for an organisation (role,
department), reports to another person, holds a buying-centre role in an organisation, referred another
party; an organisation is the parent of a subsidiary, supplier of or partner of another; an employee of the
firm is on an account's team. Links are facts like any other: ``(source, external_id)`` names each one, so
a merge moves them and its undo puts them back, and an import adds nothing twice.

An assessment is one answer of one form about one party (a contact, or an account) at one time, kept with
its history: the latest answer counts, the earlier ones are the trend.
"""

from patron.store.vocabulary import ASSESSMENT_FORMS, LINK_TYPES, sql_list

NAME = "relationships: links between parties and assessments of relationships"
STATEMENTS = (
    f"""
    CREATE TABLE party_links (
        link_id         BIGINT NOT NULL,
        source          VARCHAR NOT NULL,
        external_id     VARCHAR NOT NULL,
        party_id        BIGINT NOT NULL,
        other_party_id  BIGINT NOT NULL,
        link_type       VARCHAR NOT NULL CHECK (link_type IN {sql_list(LINK_TYPES)}),
        role            VARCHAR,
        department      VARCHAR,
        since           DATE,
        until           DATE,
        note            VARCHAR,
        import_id       BIGINT
    )
    """,
    f"""
    CREATE TABLE assessments (
        assessment_id   BIGINT NOT NULL,
        source          VARCHAR NOT NULL,
        external_id     VARCHAR NOT NULL,
        party_id        BIGINT NOT NULL,
        form            VARCHAR NOT NULL CHECK (form IN {sql_list(ASSESSMENT_FORMS)}),
        item            VARCHAR NOT NULL,
        score           DOUBLE,
        answer          VARCHAR,
        assessed_at     TIMESTAMP NOT NULL,
        assessed_by     VARCHAR NOT NULL,
        asked_of        VARCHAR NOT NULL DEFAULT 'account_manager',
        note            VARCHAR
    )
    """,
    "CREATE INDEX party_links_party ON party_links (party_id)",
    "CREATE INDEX party_links_other ON party_links (other_party_id)",
    "CREATE INDEX assessments_party ON assessments (party_id)",
)
