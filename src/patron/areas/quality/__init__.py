"""Service quality: NPS, CSAT and CES with their uncertainty, SERVQUAL gaps, and survival by complaint experience."""
