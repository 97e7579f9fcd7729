"""patron.demo"""
