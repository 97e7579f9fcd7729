"""Feedback: the answers parties give (NPS, CSAT, CES, suggestions, reviews)."""
