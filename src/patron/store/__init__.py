"""The relationship store: its tables, migrations and vocabularies, and the backends it lives on."""

from patron.store.connection import Store, StoreURL


def lost_server_message(exc: BaseException) -> str | None:
    """The message for a server that went away in the middle of a command, or ``None`` for another error."""
    from patron.store.backends.postgres import lost_server_message as message

    return message(exc)


__all__ = ["Store", "StoreURL", "lost_server_message"]
