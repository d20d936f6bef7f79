"""What pages read of the kinds of course."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.training.models import CourseType


def course_types(session: Session) -> list[CourseType]:
    """Every kind of course, in the order they were recorded."""
    return list(session.exec(select(CourseType).order_by(col(CourseType.id))).all())


def course_type(session: Session, course_type_id: int) -> CourseType | None:
    return session.get(CourseType, course_type_id)
