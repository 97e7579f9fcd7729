"""Segments and lists of scored customers: RFM segments, rungs, triage groups, the valuable at risk, exports."""
