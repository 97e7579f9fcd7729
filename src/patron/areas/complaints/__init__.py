"""Complaints: opening, working and resolving them against the customer charter; the complaint desk."""
