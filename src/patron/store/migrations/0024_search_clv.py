"""The current CLV beside each search token (issue 11): ``party_search.clv``.

A name search orders its matches by the current run's CLV. It read it from each match's picture
(``party_picture``), a join that read every party's picture (most of a common surname's search at a million
customers). Each token row now carries its party's CLV, the same value as ``party_picture.clv``: the search
index's writer sets it from the picture, and every write to the picture sets it on the party's tokens
(:mod:`patron.store.search_index`, :mod:`patron.store.picture`). The tokens already in the store get it here,
once; a store whose picture is still to be built gets it when the picture is built.
"""

NAME = "search tokens carry the current CLV"
STATEMENTS = (
    "ALTER TABLE party_search ADD COLUMN clv DOUBLE",
    """
    UPDATE party_search SET clv = pp.clv FROM party_picture pp
    WHERE pp.party_id = party_search.party_id AND pp.clv IS NOT NULL
    """,
)
