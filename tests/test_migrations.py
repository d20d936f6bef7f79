"""One Alembic chain for SQLite and PostgreSQL: up, down, up again, and the models match the schema."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlmodel import SQLModel

import app.models  # noqa: F401
from app.config import ROOT
from app.db import make_engine
from app.library.models import outside_search_index
from tests.support.database import migrate


def _config() -> Config:
    return Config(str(ROOT / "alembic.ini"))


def config_for(url: str) -> Config:
    config = _config()
    config.attributes["database_url"] = url
    return config


def test_upgrade_downgrade_upgrade(new_database) -> None:  # type: ignore[no-untyped-def]
    url = new_database("prcn_migrations")
    migrate(url)
    engine = make_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {"user_account", "user_session", "outbox_message", "audit_entry", "member_state"} <= tables
        command.downgrade(config_for(url), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate(url)
        assert set(inspect(engine).get_table_names()) == tables
    finally:
        engine.dispose()


def test_every_revision_has_a_real_downgrade() -> None:
    for revision in ScriptDirectory.from_config(_config()).walk_revisions():
        source = revision.module.downgrade.__code__
        assert len(source.co_code) > 4 and source.co_names, f"{revision.revision} has an empty downgrade"


def test_models_match_the_migrated_schema(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True, "include_name": outside_search_index}
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_single_head() -> None:
    assert len(ScriptDirectory.from_config(_config()).get_heads()) == 1
