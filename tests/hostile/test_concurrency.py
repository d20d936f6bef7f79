"""Requests that arrive together: each gets its own answer, on SQLite as on PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import httpx
from sqlalchemy import Engine
from sqlmodel import Session

from app.auth import service
from tests.factories import PASSWORD, csrf_token
from tests.support.live import LiveServer


def test_twenty_simultaneous_sign_ins_are_each_answered(live_server: LiveServer, live_engine: Engine) -> None:
    """Ten right passwords and ten wrong ones at the same instant: ten sign in, ten are refused, none is told to try
    again later (SQLite once answered most of them "database is locked")."""
    people = [f"together-{uuid.uuid4().hex[:8]}@example.org" for _ in range(20)]
    with Session(live_engine) as db:
        for email in people:
            service.create_user(
                db, actor_id=None, email=email, display_name="Together", role="observer", password=PASSWORD
            )
        db.commit()
    answers: Counter[int] = Counter()
    start = threading.Barrier(len(people))

    def sign_in(number: int, email: str) -> None:
        with httpx.Client(
            base_url=live_server.url, timeout=120, headers={"X-Forwarded-For": f"198.51.100.{number}"}
        ) as browser:
            token = csrf_token(browser.get("/auth/sign-in").text)
            password = PASSWORD if number % 2 else "not the right password"
            start.wait()
            answers[
                browser.post(
                    "/auth/sign-in", data={"email": email, "password": password, "csrf_token": token}
                ).status_code
            ] += 1

    threads = [threading.Thread(target=sign_in, args=pair) for pair in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == Counter({303: 10, 400: 10})
