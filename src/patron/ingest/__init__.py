"""patron.ingest"""
