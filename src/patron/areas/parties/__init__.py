"""Parties and the customer 360: finding a customer, and everything the firm knows about one."""
