"""patron.models"""
