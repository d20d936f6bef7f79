"""Email outbox: messages written in the transaction that causes them, delivered by a sender."""
