"""Service quality (issue 14): the zone of tolerance, where an answer was given, and reference scores.

- ``feedback.adequate`` and ``feedback.desired``: the adequate and the desired level of service a customer
  states for an item (the zone of tolerance lies between them), on the answer's scale.
- ``feedback.channel``, ``feedback.department`` and ``feedback.touchpoint`` (before, during or after the sale):
  where the experience the answer is about happened, for breakdowns.
- ``quality_references``: scores that are not our customers' answers, per dimension (or item) and period:
  ``competitor`` and ``industry`` benchmarks (from panels, mystery shoppers or an imported benchmark table),
  and ``management``'s estimate of what customers expect (the gaps model's gap 1 compares it with the
  customers' stated expectations).
"""

NAME = "service quality: zone of tolerance, channel, department and touchpoint of feedback, reference scores"
STATEMENTS = (
    "ALTER TABLE feedback ADD COLUMN adequate DOUBLE",
    "ALTER TABLE feedback ADD COLUMN desired DOUBLE",
    "ALTER TABLE feedback ADD COLUMN channel VARCHAR",
    "ALTER TABLE feedback ADD COLUMN department VARCHAR",
    "ALTER TABLE feedback ADD COLUMN touchpoint VARCHAR",
    """
    CREATE TABLE quality_references (
        reference_id  BIGINT NOT NULL,
        kind          VARCHAR NOT NULL CHECK (kind IN ('competitor', 'industry', 'management')),
        name          VARCHAR NOT NULL,
        period        DATE NOT NULL,
        dimension     VARCHAR NOT NULL,
        item          VARCHAR,
        score         DOUBLE NOT NULL,
        scale_max     DOUBLE NOT NULL,
        source        VARCHAR NOT NULL,
        imported_at   TIMESTAMP NOT NULL
    )
    """,
)
