"""One Alembic chain for SQLite and PostgreSQL: up, down, up again, and the models match the schema."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, Engine, inspect
from sqlmodel import SQLModel

import app.models  # noqa: F401
from app.core.config import ROOT
from app.core.db import make_engine
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


def test_models_and_migrations_list_the_same_values(engine: Engine) -> None:
    """Alembic does not compare CHECK constraints: each one a model declares is in the migrated schema, with the
    same values."""
    declared = {
        str(constraint.name): _listed(str(constraint.sqltext))
        for table in SQLModel.metadata.tables.values()
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
    }
    schema = inspect(engine)
    migrated = {
        str(constraint["name"]): _listed(constraint["sqltext"])
        for table in SQLModel.metadata.tables
        for constraint in schema.get_check_constraints(table)
    }
    assert migrated == declared


def _listed(condition: str) -> list[str]:
    """The values a CHECK condition lists, as each database writes it: quoted words, or else the numbers of an
    integer column's list."""
    return sorted(re.findall(r"'([^']*)'", condition) or re.findall(r"\d+", condition))


def test_single_head() -> None:
    assert len(ScriptDirectory.from_config(_config()).get_heads()) == 1


def test_once_keeps_the_earliest_of_existing_duplicates(new_database) -> None:  # type: ignore[no-untyped-def]
    """Duplicates made before the unique indexes (six waiting requests, a partner added twice) are reduced to the
    earliest row; a history that legitimately repeats steps (asked, declined, asked again) keeps every step."""
    from sqlalchemy import text

    url = new_database("prcn_once")
    migrate(url, "db57efe06394")
    engine = make_engine(url)
    try:
        with engine.begin() as db:
            for number, code in enumerate(("FJ", "NZ", "TO"), start=1):
                db.execute(
                    text(
                        "INSERT INTO member_state (id, code, name_en, name_fr, subregion, standing, status, sovereign,"
                        " languages, time_zones, profile) VALUES (:id, :code, :code, :code, 'melanesia', 'pif_member',"
                        " 'state', '', '[]', '[]', '')"
                    ),
                    {"id": number, "code": code},
                )
            db.execute(
                text(
                    "INSERT INTO body (id, key, kind, parent_key, track, acronym, name_en, name_fr)"
                    " VALUES (1, 'sme', 'network', '', 'joint', 'SME', 'SME', 'SME')"
                )
            )
            steps = [(1, "join_requested")] * 6 + [(2, "join_requested"), (2, "join_declined"), (2, "join_requested")]
            for number, (state_id, kind) in enumerate(steps, start=1):
                db.execute(
                    text(
                        "INSERT INTO membership_event (id, body_id, state_id, kind, at, note)"
                        " VALUES (:id, 1, :state_id, :kind, :at, '')"
                    ),
                    {"id": number, "state_id": state_id, "kind": kind, "at": f"2026-11-0{number} 10:00:00+00:00"},
                )
            db.execute(
                text(
                    "INSERT INTO coalition (id, state_id, title, purpose, status, created_at)"
                    " VALUES (1, 1, 'Coalition', '', 'active', '2026-11-01 10:00:00+00:00')"
                )
            )
            partners = [(2, "", None)] * 3 + [(3, "", "2026-11-02 10:00:00+00:00"), (3, "", None)]
            partners += [(None, "UN DPO", None)] * 2
            for number, (state_id, organisation, left_at) in enumerate(partners, start=1):
                db.execute(
                    text(
                        "INSERT INTO coalition_partner (id, coalition_id, partner_state_id, organisation, joined_at,"
                        " left_at) VALUES (:id, 1, :state_id, :organisation, :joined_at, :left_at)"
                    ),
                    {
                        "id": number,
                        "state_id": state_id,
                        "organisation": organisation,
                        "joined_at": f"2026-11-0{number} 10:00:00+00:00",
                        "left_at": left_at,
                    },
                )
        migrate(url)
        with engine.connect() as db:
            events = db.execute(text("SELECT id, state_id, seq FROM membership_event ORDER BY id")).all()
            kept = db.execute(text("SELECT id FROM coalition_partner ORDER BY id")).scalars().all()
        assert [tuple(event) for event in events] == [(1, 1, 1), (7, 2, 1), (8, 2, 2), (9, 2, 3)]
        assert kept == [1, 4, 5, 6], "the earliest current row of each partner stays, and the row of one that left"
    finally:
        engine.dispose()


BODY = (
    "INSERT INTO body (id, key, kind, parent_key, track, acronym, name_en, name_fr)"
    " VALUES (1, 'forum', :kind, '', :track, '', 'Forum', 'Forum')"
)
STATE = (
    "INSERT INTO member_state (id, code, name_en, name_fr, subregion, standing, status, sovereign, languages,"
    " time_zones, profile) VALUES (1, 'FJ', 'Fiji', 'Fidji', 'melanesia', 'pif_member', 'state', '', '[]', '[]', '')"
)
PLEDGE = (
    "INSERT INTO pledge (id, state_id, capability, category, personnel, readiness, deployment_days, recorded_at)"
    " VALUES (1, 1, 'Engineers', 'troops', 40, 'level_1', :days, '2026-12-06 10:00:00+00:00')"
)


@pytest.mark.parametrize(
    ("revision", "rows", "refusal", "table", "check"),
    [
        pytest.param(
            "81fd2cd6397f",
            [(BODY, {"kind": "council", "track": ""})],
            r"body\.kind holds 'council' \(allowed: regional, network\)",
            "body",
            "ck_body_kind",
            id="a-kind",
        ),
        pytest.param(
            "7471a11c4eb7",
            [(BODY, {"kind": "network", "track": "naval"})],
            r"body\.track holds 'naval' \(allowed: , military, police, joint\)",
            "body",
            "ck_body_track",
            id="a-track-of-the-later-lists",
        ),
        pytest.param(
            "08a2468b8aad",
            [(STATE, {}), (PLEDGE, {"days": 45})],
            r"pledge\.deployment_days holds 45 \(allowed: 30, 60, 90\)",
            "pledge",
            "ck_pledge_deployment_days",
            id="a-number-of-days",
        ),
    ],
)
def test_a_value_outside_a_list_stops_the_upgrade_before_any_change(
    new_database: Callable[[str], str],
    revision: str,
    rows: list[tuple[str, dict[str, object]]],
    refusal: str,
    table: str,
    check: str,
) -> None:
    """A row holding a value no page knows is named, with its table and column, and nothing is changed: every lists'
    migration refuses strays the same way, a stray number as well as a stray word."""
    from sqlalchemy import text

    url = new_database(f"prcn_strays_{check}")
    migrate(url, revision)
    engine = make_engine(url)
    try:
        with engine.begin() as db:
            for statement, values in rows:
                db.execute(text(statement), values)
        with pytest.raises(RuntimeError, match=refusal):
            migrate(url)
        with engine.connect() as db:
            assert db.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == revision
        assert check not in {str(c["name"]) for c in inspect(engine).get_check_constraints(table)}
    finally:
        engine.dispose()


def test_the_migrate_command_names_the_stray_values_in_one_line(new_database: Callable[[str], str]) -> None:
    """`python -m app migrate` over a stray value ends with one line saying what to correct, not a traceback."""
    import os
    import subprocess
    import sys

    from sqlalchemy import text

    url = new_database("prcn_strays_command")
    migrate(url, "08a2468b8aad")
    engine = make_engine(url)
    try:
        with engine.begin() as db:
            db.execute(text(STATE))
            db.execute(text(PLEDGE), {"days": 45})
    finally:
        engine.dispose()
    environment = {**os.environ, "PRCN_DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "-m", "app", "migrate"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == (
        "Migration stopped: Correct these rows, then migrate again: pledge.deployment_days holds 45 "
        "(allowed: 30, 60, 90)"
    )


def test_the_tallies_are_counted_from_the_nominations_already_there(
    new_database: Callable[[str], str],
) -> None:
    """The revisions adding the tallies count every year and every offer of existing nominations, as the portal then
    keeps them."""
    from datetime import date

    from sqlmodel import Session, select

    from app import seeds
    from app.core.config import get_settings
    from app.training import service as training
    from app.training.models import NominationTally, OfferTally
    from tests.factories import make_user, state
    from tests.training.conftest import course_on

    url = new_database("prcn_tallies")
    migrate(url)
    engine = make_engine(url)

    def tallies() -> list[tuple[int, int, str, str, int]]:
        with Session(engine) as db:
            return sorted(
                (row.year, row.state_id, row.status, row.gender, row.nominations)
                for row in db.exec(select(NominationTally)).all()
            )

    def offer_tallies() -> list[tuple[int, str, str, int]]:
        with Session(engine) as db:
            return sorted(
                (row.offer_id, row.status, row.gender, row.nominations) for row in db.exec(select(OfferTally)).all()
            )

    try:
        with Session(engine, expire_on_commit=False) as db:
            seeds.load(db, get_settings().seeds_dir)
            provider = make_user(db, role="focal_point", member_state_id=state(db, "FJ").id, password=None)
            samoa = make_user(db, role="focal_point", member_state_id=state(db, "WS").id, password=None)
            offers = []
            for first_day in (date(2031, 3, 2), date(2032, 5, 4)):
                offers.append(offer := course_on(db, provider, first_day))
                for name, gender in (("Ana", "woman"), ("Ben", "man")):
                    training.nominate(
                        db, user=samoa, offer=offer, form=training.CandidateForm(full_name=name, gender=gender)
                    )
        kept, kept_offers = tallies(), offer_tallies()
        assert [(year, status, gender, number) for year, _, status, gender, number in kept] == [
            (2031, "nominated", "man", 1),
            (2031, "nominated", "woman", 1),
            (2032, "nominated", "man", 1),
            (2032, "nominated", "woman", 1),
        ]
        assert kept_offers == [(offer.id, "nominated", gender, 1) for offer in offers for gender in ("man", "woman")]

        command.downgrade(config_for(url), "26a2982b770e")
        command.upgrade(config_for(url), "head")

        assert tallies() == kept
        assert offer_tallies() == kept_offers
    finally:
        engine.dispose()


def test_the_idle_job_runs_already_there_shrink_to_each_jobs_latest(new_database: Callable[[str], str]) -> None:
    """The revision that stops idle runs piling up keeps every run that did something and each job's latest run."""
    from sqlalchemy import text

    url = new_database("prcn_job_runs")
    command.upgrade(config_for(url), "5d0c3b9e7f21")
    engine = make_engine(url)
    insert = text(
        "INSERT INTO job_run (job, clock, started_at, sent, skipped, failed, error) "
        "VALUES (:job, :at, :at, :sent, 0, :failed, :error)"
    )
    runs = [
        # (job, minute, sent, failed, error): digests idle for three minutes, then sending, then idle again.
        ("digests", 0, 0, 0, ""),
        ("digests", 1, 0, 0, ""),
        ("digests", 2, 0, 0, ""),
        ("digests", 3, 2, 0, ""),
        ("digests", 4, 0, 0, ""),
        ("digests", 5, 0, 0, ""),
        ("meeting_reminders", 0, 0, 0, ""),
        ("meeting_reminders", 1, 0, 0, "OperationalError: database is locked"),
        ("meeting_reminders", 2, 0, 1, ""),
    ]
    try:
        with engine.begin() as connection:
            for job, minute, sent, failed, error in runs:
                at = f"2027-03-01 10:0{minute}:00"
                connection.execute(insert, {"job": job, "at": at, "sent": sent, "failed": failed, "error": error})

        command.upgrade(config_for(url), "head")

        with engine.connect() as connection:
            kept = connection.execute(text("SELECT job, sent, failed, error FROM job_run ORDER BY id")).all()
        assert [tuple(row) for row in kept] == [
            ("digests", 2, 0, ""),
            ("digests", 0, 0, ""),
            ("meeting_reminders", 0, 0, "OperationalError: database is locked"),
            ("meeting_reminders", 0, 1, ""),
        ]
        assert "ix_job_run_job_id" in {index["name"] for index in inspect(engine).get_indexes("job_run")}
    finally:
        engine.dispose()
