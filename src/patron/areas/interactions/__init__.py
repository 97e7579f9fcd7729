"""Interactions: the direct contacts logged against a party (calls, emails, meetings)."""
