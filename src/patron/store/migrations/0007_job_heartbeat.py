"""A heartbeat for background jobs.

A running job's process writes a sign of life every few seconds, so that a worker reporting the job of
a process that died (killed, restarted) can say so instead of showing it as running for ever.
"""

NAME = "a heartbeat for background jobs"
STATEMENTS = ("ALTER TABLE jobs ADD COLUMN heartbeat_at TIMESTAMP",)
