"""Migrating test databases, as `python -m app migrate` does."""

from __future__ import annotations


def migrate(url: str, revision: str = "head") -> None:
    """Brings the database at `url` to `revision` with Alembic."""
    from alembic import command
    from alembic.config import Config

    from app.core.config import ROOT

    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    command.upgrade(config, revision)


def migrated(url: str) -> str:
    """Brings an empty database to the newest schema and returns its URL."""
    migrate(url)
    return url
