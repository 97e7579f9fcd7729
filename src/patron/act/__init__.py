"""patron.act"""
