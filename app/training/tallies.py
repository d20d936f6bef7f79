"""The nomination tallies the reports and the catalogue read, kept in step with nominations and offers.

Every flush that adds a nomination, changes one's status, gender or state, or changes an offer's status or first day
counts again the years it touched, in the same transaction: a year is read from its own nominations only, so the cost
of a change does not grow with the years of history. Likewise every flush that adds a nomination or changes one's
offer, status or gender counts again the offers it touched, each from its own nominations. On PostgreSQL a transaction
counting a year or an offer holds a lock on it until it ends, so two transactions counting the same one do so one after
the other, the second seeing what the first committed (SQLite lets one transaction write at a time anyway).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Connection, Integer, delete, event, func, insert, literal, select, text
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.attributes import get_history
from sqlmodel import col

from app.training.models import Nomination, NominationTally, OfferTally, TrainingOffer

COUNTED_OFFERS = ("published", "closed", "completed")
# What a year's tally depends on: a nomination's fields, and an offer's.
NOMINATION_FIELDS = ("offer_id", "state_id", "status", "gender")
OFFER_FIELDS = ("status", "starts_on")
# What an offer's own tally depends on.
OFFER_TALLY_FIELDS = ("offer_id", "status", "gender")
YEARS = "training.tally_years"
OFFERS = "training.tally_offers"


def count_years(connection: Connection, years: Iterable[int]) -> None:
    """Counts the nominations of each year again, replacing its tally rows."""
    for year in sorted(set(years)):
        _lock(connection, f"nomination_tally:{year}")
        connection.execute(delete(NominationTally).where(col(NominationTally.year) == year))
        counted = (
            select(
                literal(year, Integer),
                col(Nomination.state_id),
                col(Nomination.status),
                col(Nomination.gender),
                func.count(),
            )
            .join(TrainingOffer, col(TrainingOffer.id) == col(Nomination.offer_id))
            .where(
                col(TrainingOffer.starts_on) >= date(year, 1, 1),
                col(TrainingOffer.starts_on) < date(year + 1, 1, 1),
                col(TrainingOffer.status).in_(COUNTED_OFFERS),
                col(Nomination.status) != "withdrawn",
            )
            .group_by(col(Nomination.state_id), col(Nomination.status), col(Nomination.gender))
        )
        connection.execute(
            insert(NominationTally).from_select(["year", "state_id", "status", "gender", "nominations"], counted)
        )


def count_offers(connection: Connection, offer_ids: Iterable[int]) -> None:
    """Counts the nominations of each offer again, replacing its tally rows."""
    for offer_id in sorted(set(offer_ids)):
        _lock(connection, f"offer_tally:{offer_id}")
        connection.execute(delete(OfferTally).where(col(OfferTally.offer_id) == offer_id))
        counted = (
            select(col(Nomination.offer_id), col(Nomination.status), col(Nomination.gender), func.count())
            .where(col(Nomination.offer_id) == offer_id)
            .group_by(col(Nomination.offer_id), col(Nomination.status), col(Nomination.gender))
        )
        connection.execute(insert(OfferTally).from_select(["offer_id", "status", "gender", "nominations"], counted))


def _lock(connection: Connection, name: str) -> None:
    """On PostgreSQL, waits for any other transaction counting what `name` names (a year's or an offer's tally)
    and holds it until this one ends."""
    if connection.dialect.name == "postgresql":
        key = zlib.crc32(name.encode())
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _changed(instance: Any, fields: tuple[str, ...]) -> bool:
    return any(get_history(instance, field).has_changes() for field in fields)


def _offer_years(session: Session, offer_id: int | None) -> set[int]:
    offer = session.get(TrainingOffer, offer_id) if offer_id is not None else None
    return {offer.starts_on.year} if offer is not None else set()


def _touched_years(session: Session) -> set[int]:
    """The years whose counts the pending changes of `session` may alter, before and after each change."""
    years: set[int] = set()
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, Nomination) and (
            instance in session.new or instance in session.deleted or _changed(instance, NOMINATION_FIELDS)
        ):
            offers = get_history(instance, "offer_id")
            for offer_id in (*offers.deleted, *offers.unchanged, *offers.added):
                years |= _offer_years(session, offer_id)
        elif isinstance(instance, TrainingOffer) and instance not in session.new and _changed(instance, OFFER_FIELDS):
            starts = get_history(instance, "starts_on")
            years |= {day.year for day in (*starts.deleted, *starts.unchanged, *starts.added) if day is not None}
    return years


def _touched_offers(session: Session) -> set[int]:
    """The offers whose own tallies the pending changes of `session` may alter, before and after each change."""
    offers: set[int] = set()
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, Nomination) and (
            instance in session.new or instance in session.deleted or _changed(instance, OFFER_TALLY_FIELDS)
        ):
            history = get_history(instance, "offer_id")
            offers.update(o for o in (*history.deleted, *history.unchanged, *history.added) if o is not None)
    return offers


def _note(session: Session, flush_context: UOWTransaction, instances: object) -> None:
    years, offers = _touched_years(session), _touched_offers(session)
    if years:
        session.info.setdefault(YEARS, set()).update(years)
    if offers:
        session.info.setdefault(OFFERS, set()).update(offers)


def _count(session: Session, flush_context: UOWTransaction) -> None:
    years, offers = session.info.pop(YEARS, None), session.info.pop(OFFERS, None)
    if years:
        count_years(session.connection(), years)
    if offers:
        count_offers(session.connection(), offers)


def keep_tallies() -> None:
    """Makes every session count again the years its flushes touch (once, however often it is called)."""
    for name, listener in (("before_flush", _note), ("after_flush", _count)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
