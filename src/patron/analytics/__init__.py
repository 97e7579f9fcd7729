"""patron.analytics"""
