"""The complaint desk: who owns a complaint, and the clock paused while waiting for the customer.

``waiting_since`` is set while the complaint waits for the customer (its service-level clocks stop);
``paused_hours`` holds the business hours of earlier waits.
"""

NAME = "the complaint desk: owner and paused clocks"
STATEMENTS = (
    "ALTER TABLE complaints ADD COLUMN owner VARCHAR",
    "ALTER TABLE complaints ADD COLUMN waiting_since TIMESTAMP",
    "ALTER TABLE complaints ADD COLUMN paused_hours DOUBLE",
)
