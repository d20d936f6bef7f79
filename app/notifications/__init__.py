"""Scheduled jobs that reach out by email: reminders, each sent exactly once, and the record of every run."""
