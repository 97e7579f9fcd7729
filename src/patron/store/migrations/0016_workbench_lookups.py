"""Indexes that let a search answer exact identifiers by a point lookup (issue 11's search).

A search for an order or invoice number, a key in a source system or an email first asks for an exact
match; without these indexes each of those is a scan of the table (transactions is the largest of all). The
cost is paid on bulk inserts, once per import.
"""

NAME = "indexes for finding a customer by an order or invoice number, a source key or an email"
STATEMENTS = (
    "CREATE INDEX transactions_document ON transactions (document)",
    "CREATE INDEX identities_source_key ON identities (source_key)",
    "CREATE INDEX parties_email ON parties (email)",
)
