"""The outbox: messages waiting, sent, blocked by the gate (with why), and the dead letters (``patron outbox``)."""
