"""patron.service"""
