"""Accounts, roles, server-side sessions, one-time links, single sign-on and CSRF."""
