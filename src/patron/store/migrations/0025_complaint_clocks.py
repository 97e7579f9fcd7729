"""Each complaint's service-level clocks kept (issue 14): ``complaint_clocks``, one row a complaint.

The desk's filter on the SLA state, its sort by the resolution due time and the charter report read the
states in SQL at the data's end instead of clocking every complaint in business hours. A row keeps, for the
first response, the resolution and the latest next response: the due time, the state once the clock has
stopped (``met`` or ``breached``; for next responses ``breached`` if any was late), and while it runs the
moments it warns from and is breached after. ``inputs`` is a digest of what they were computed from (the
complaint's times, category, severity, waits, its thread, the service levels): a row whose inputs changed is
computed again before it is read (:mod:`patron.areas.complaints.stored_clocks`), so any writer (an import,
a merge, an undo) keeps them right. Rows are made at the first read that needs them.

(Migration 26 in its branch, 25 at merge.)
"""

NAME = "complaint clocks"
STATEMENTS = (
    """
    CREATE TABLE complaint_clocks (
        complaint_id                   BIGINT NOT NULL,
        inputs                         VARCHAR NOT NULL,
        first_response_due             TIMESTAMP,
        first_response_settled         VARCHAR,
        first_response_warns_from      TIMESTAMP,
        first_response_breached_after  TIMESTAMP,
        resolution_due                 TIMESTAMP,
        resolution_settled             VARCHAR,
        resolution_warns_from          TIMESTAMP,
        resolution_breached_after      TIMESTAMP,
        next_response_due              TIMESTAMP,
        next_response_settled          VARCHAR,
        next_response_warns_from       TIMESTAMP,
        next_response_breached_after   TIMESTAMP
    )
    """,
    "CREATE INDEX complaint_clocks_complaint ON complaint_clocks (complaint_id)",
)
