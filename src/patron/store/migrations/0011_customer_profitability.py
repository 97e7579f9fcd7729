"""What each customer costs to serve and leaves, with every run's scores (activity-based profitability)."""

NAME = "customer profitability"
STATEMENTS = (
    "ALTER TABLE scores ADD COLUMN cost_to_serve DOUBLE",
    "ALTER TABLE scores ADD COLUMN profit DOUBLE",
    "ALTER TABLE scores ADD COLUMN profit_clv DOUBLE",
)
