"""Customer profitability (issue 13): profit after the cost to serve by segment, rung, channel and triage, and
the Stobachoff curve of cumulative profit by customer rank."""
