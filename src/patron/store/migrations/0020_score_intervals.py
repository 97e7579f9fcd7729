"""How sure each customer's scores are: the 95% intervals on P(alive) and CLV, stored with every run's scores."""

# Reserved number 24 (stop 21): numbered 20 in branch stop21-13b because the loader refuses gaps; rename it
# 0024_score_intervals.py when 20-23 are merged.

NAME = "score intervals"
STATEMENTS = (
    "ALTER TABLE scores ADD COLUMN p_alive_low DOUBLE",
    "ALTER TABLE scores ADD COLUMN p_alive_high DOUBLE",
    "ALTER TABLE scores ADD COLUMN clv_low DOUBLE",
    "ALTER TABLE scores ADD COLUMN clv_high DOUBLE",
)
