"""Acting on relationships: playbooks, campaigns, delivery and the measurement of what they changed."""
