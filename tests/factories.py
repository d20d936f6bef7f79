"""Small factories: make_user(session, **overrides), sign_in(client, session, user), live_account(engine),
csrf_token(html)."""

from __future__ import annotations

import itertools
import uuid
from functools import lru_cache
from typing import Any

from bs4 import BeautifulSoup, Tag
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.auth import service
from app.auth.deps import SESSION_COOKIE
from app.auth.models import User
from app.auth.passwords import check_new_password
from app.members.models import MemberState

PASSWORD = "coral reef lagoon outrigger"
_numbers = itertools.count(1)
# Argon2id at its lowest cost. The portal checks a password at the cost written in its hash, so each sign-in of an
# account made here skips the fifth of a second (on both cores) that the portal's own hashes cost on purpose.
_CHEAP_ARGON2 = Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1)


@lru_cache
def password_hash(password: str) -> str:
    """An Argon2id hash of a test password, computed once per run at the lowest cost: the accounts tests make only
    need one that verifies (tests of hashing and of its cost call the service)."""
    return _CHEAP_ARGON2.hash(password)


def create_account(session: Session, *, password: str | None, **fields: Any) -> User:
    """`service.create_user` (its checks, home zone and audit entry) with the password's hash taken from
    `password_hash`; the caller commits."""
    user = service.create_user(session, actor_id=None, password=None, **fields)
    if password is not None:
        check_new_password(password, email=user.email)
        user.password_hash = password_hash(password)
        session.add(user)
        session.flush()
    return user


def state(session: Session, code: str = "FJ") -> MemberState:
    found = session.exec(select(MemberState).where(MemberState.code == code)).first()
    assert found is not None, f"seeded state {code} missing"
    return found


def make_user(
    session: Session, *, role: str = "focal_point", password: str | None = PASSWORD, **overrides: Any
) -> User:
    number = next(_numbers)
    fields: dict[str, Any] = {
        "email": f"user{number}@example.org",
        "display_name": f"User {number}",
        "role": role,
        "member_state_id": state(session).id if role == "focal_point" else None,
    }
    fields.update(overrides)
    user = create_account(session, password=password, **fields)
    session.commit()
    return user


def sign_in(client: Any, session: Session, user: User, *, pending: bool = False) -> None:
    """Opens a session for `user` the way the sign-in route does and gives the client its cookie: complete (the
    second factor passed, when one is asked), or `pending` its second factor."""
    token = service.start_session(session, user=user, address="testclient", user_agent="pytest", pending=pending)
    client.cookies.set(SESSION_COOKIE, token)


def live_account(engine: Engine, **overrides: Any) -> tuple[User, str]:
    """An account with a unique email address in the live portal's database (`engine`), committed, and the token of
    a complete session opened for it: the cookie of a visitor signed in as it."""
    with Session(engine, expire_on_commit=False) as session:
        user = make_user(session, email=f"live-{uuid.uuid4().hex[:12]}@example.org", **overrides)
        token = service.start_session(session, user=user, address="127.0.0.1", user_agent="pytest")
        session.commit()
    return user, token


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def alerts(page: str | Tag) -> list[str]:
    """Each message of the alert box that lists several, in a page's HTML or inside one element, spaces normalised."""
    box = (soup(page) if isinstance(page, str) else page).find(attrs={"role": "alert"})
    assert box is not None, "the page shows no error message"
    return [" ".join(item.get_text(" ").split()) for item in box.find_all("li")]


def csrf_token(html: str) -> str:
    field = soup(html).find("input", attrs={"name": "csrf_token"})
    assert field is not None, "page has no CSRF field"
    return str(field["value"])


def page_csrf(client: Any, path: str = "/") -> str:
    return csrf_token(client.get(path).text)


class QueryLog:
    """Records the SQL statements an engine runs, for query-count tests. Left out: transaction control, and the note
    that a signed-in session is in use, which a request writes when a minute has passed since the last (on a busy
    machine, a test can take that long between signing in and the request it counts)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def _record(self, _conn: Any, _cursor: Any, statement: str, *args: Any) -> None:
        text = statement.lstrip().upper()
        if text.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")):
            return
        if text.startswith("UPDATE USER_SESSION SET LAST_SEEN_AT"):
            return
        self.statements.append(statement)

    def __enter__(self) -> QueryLog:
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._record)

    def __len__(self) -> int:
        return len(self.statements)
