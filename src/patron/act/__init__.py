"""Acting on relationships: the consent ledger read, the send-time gate, and delivery through the outbox."""
