"""The relationship store: schema, migrations and engine connections."""

from patron.store.connection import Store, StoreURL

__all__ = ["Store", "StoreURL"]
