"""The overview: the customer base at a glance on the first page."""
