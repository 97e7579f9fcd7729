"""Why each party stands on its rung and sits in its triage group, in words, with every run's scores."""

NAME = "ladder and triage reasons"
STATEMENTS = (
    "ALTER TABLE scores ADD COLUMN rung_reason VARCHAR",
    "ALTER TABLE scores ADD COLUMN triage_reason VARCHAR",
)
