"""No 500 anywhere, and valid HTML everywhere: under each governance option, each role walks the portal from the
dashboard, follows every link on the portal's own pages and submits every form it meets (with plausible values, and
once empty); every distinct page any of them reads is then checked by the W3C Nu HTML Checker (npm vnu-jar, on Java;
one run per option), and any error fails the test, listed by role, page and message.

`make test` runs the suite on SQLite and on PostgreSQL: each walks two of the four options, so every option is walked
once per run (a walk takes minutes) and each database meets two of them.

The roles walk one after the other in one transaction, so what the admin and the coordinator create (meetings,
working groups, courses) is there for the focal point, the observer and the anonymous visitor to find.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlmodel import Session

from tests.governance.conftest import OPTIONS
from tests.support.crawl import ROLES, Crawler, walker
from tests.support.html_check import Keeper, check, checker_ready
from tests.support.portal import Portal

# How many requests each walk makes at the least; fewer means the walk was cut short (by a lost session, say).
REACH = {"admin": 150, "coordinator": 150, "focal_point": 80, "observer": 50, "anonymous": 10}
# The options each database's run walks.
WALKED_ON = {"sqlite": ("diplomatic", "informal"), "postgresql": ("operational", "adhoc")}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "option" in metafunc.fixturenames:
        metafunc.parametrize("option", WALKED_ON[metafunc.config.getoption("--db")])


def test_every_option_is_walked_on_one_database() -> None:
    assert sorted(option for options in WALKED_ON.values() for option in options) == sorted(OPTIONS)


def test_no_page_or_form_answers_500_and_every_page_is_valid_html_for_any_role(
    option: str, portal: Portal, session: Session, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    assert checker_ready(), "the HTML checker or Java is missing: run scripts/test-deps.sh"
    portal.run(option)
    caplog.set_level(logging.ERROR)
    report = []
    keeper = Keeper(tmp_path)
    for role in ROLES:
        user = walker(session, role)
        client = portal.client(user)
        # Signing out, ending one's own sessions or changing one's own email would end the walk, not test a page.
        own = (f"/admin/users/{user.id}",) if user else ()
        keeper.reader = role
        crawl = Crawler(client, skip=own, read=keeper).walk("/dashboard", "/")
        report.append(f"{role}: {crawl.requests} requests, {crawl.forms} forms, {dict(crawl.statuses)}")
        print(report[-1])
        assert not crawl.failures, (
            f"{option}, {role}:\n"
            + "\n".join(str(failure) for failure in crawl.failures[:10])
            + "\n"
            + "\n".join(record.getMessage() + "\n" + (record.exc_text or "") for record in caplog.records[:3])
        )
        assert crawl.requests > REACH[role], f"{role} reached almost nothing: {report[-1]}"
    invalid = check(keeper)
    print(f"{len(keeper.pages)} distinct pages checked, {len(invalid)} HTML errors")
    assert not invalid, f"{len(invalid)} HTML errors under {option}:\n" + "\n".join(invalid)


def test_the_checker_reports_an_invalid_page_by_its_address_and_passes_a_valid_one(tmp_path: Path) -> None:
    """The check above can fail: a stray end tag and an image without text are reported, a valid page is not."""
    assert checker_ready(), "the HTML checker or Java is missing: run scripts/test-deps.sh"
    keeper = Keeper(tmp_path)
    keeper.reader = "observer"
    head = '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Page</title></head>'
    keeper("/valid", head + "<body><main><h1>Valid</h1><p>Text.</p></main></body></html>")
    keeper(
        "/invalid", head + '<body><main><h1>Invalid</h1><div>Text.</div></p><img src="map.png"></main></body></html>'
    )

    errors = check(keeper)

    assert len(errors) == 2, errors
    assert all(error.startswith("observer: /invalid line 1: ") for error in errors), errors
    assert any("“img” element must have an “alt” attribute" in error for error in errors), errors
