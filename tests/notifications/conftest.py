"""The outbox's real SMTP server, for counting what the reminders really delivered."""

from tests.outbox.conftest import smtp, smtp_down  # noqa: F401 - fixtures shared with the outbox tests
