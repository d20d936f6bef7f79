"""The whole life of a course through the pages: offer, publish, nominate, allocate, close, outcomes, views."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, select

from app.outbox.models import OutboxMessage
from app.training.models import Nomination, TrainingOffer
from tests.factories import csrf_token, make_user, sign_in, soup, state


def offer_fields(**changes: object) -> dict[str, object]:
    soon = date.today() + timedelta(days=30)
    fields: dict[str, object] = {
        "title": "Regional SAAT preparation, Blackrock",
        "course_type": "saat-preparation",
        "track": "police",
        "starts_on": soon.isoformat(),
        "ends_on": (soon + timedelta(days=4)).isoformat(),
        "deadline_on": (soon - timedelta(days=10)).isoformat(),
        "seats": "2",
        "seats_per_state": "2",
        "languages": ["en"],
        "venue_state": "FJ",
        "city": "Nadi",
        "zone": "Pacific/Fiji",
    }
    fields.update(changes)
    return fields


def test_a_course_goes_from_offer_to_certified_officers_and_the_women_share_follows(client, session: Session):
    provider = make_user(session, role="focal_point", member_state_id=state(session, "FJ").id)
    cook = make_user(session, role="focal_point", member_state_id=state(session, "CK").id)

    sign_in(client, session, provider)
    page = client.get("/training/new")
    assert page.status_code == 200
    response = client.post(
        "/training", data={**offer_fields(), "csrf_token": csrf_token(page.text)}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    offer_url = response.headers["location"].split("?")[0]
    page = client.get(offer_url)
    response = client.post(
        f"{offer_url}/status", data={"status": "published", "csrf_token": csrf_token(page.text)}, follow_redirects=False
    )
    assert response.status_code == 303, response.text

    sign_in(client, session, cook)
    page = client.get(offer_url)
    assert "Nominate a candidate" in page.text
    for name, gender in (("Mere Tapu", "woman"), ("Tere Nia", "man")):
        page = client.get(offer_url)
        response = client.post(
            f"{offer_url}/nominations",
            data={
                "full_name": name,
                "gender": gender,
                "rank": "Sergeant",
                "languages": ["en"],
                "csrf_token": csrf_token(page.text),
            },
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
    page = client.get(offer_url)
    response = client.post(
        f"{offer_url}/nominations",
        data={"full_name": "One Too Many", "gender": "man", "csrf_token": csrf_token(page.text)},
    )
    assert response.status_code == 409
    assert "most this course takes from one state" in response.text

    sign_in(client, session, provider)
    nominations = session.exec(select(Nomination).order_by(Nomination.id)).all()
    page = client.get(offer_url)
    assert "Mere Tapu" in page.text
    preview = client.get(
        f"{offer_url}/allocation", params={f"decision-{nominations[0].id}": "accepted"}, headers={"HX-Request": "true"}
    )
    assert "1 of 2 seats taken" in preview.text and "100.0%" in preview.text
    response = client.post(
        f"{offer_url}/allocation",
        data={
            f"decision-{nominations[0].id}": "accepted",
            f"decision-{nominations[1].id}": "declined",
            f"reason-{nominations[1].id}": "Rank below the course's requirement",
            "csrf_token": csrf_token(page.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    mails = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == cook.email)).all()
    assert len(mails) == 1 and "1 candidate accepted" in mails[0].body and "Mere" not in mails[0].body

    page = client.get(offer_url)
    client.post(f"{offer_url}/status", data={"status": "closed", "csrf_token": csrf_token(page.text)})
    page = client.get(offer_url)
    offer = session.get(TrainingOffer, nominations[0].offer_id)
    session.refresh(offer)
    response = client.post(
        f"{offer_url}/outcomes",
        data={
            f"outcome-{nominations[0].id}": "passed",
            f"on-{nominations[0].id}": date.today().isoformat(),
            "csrf_token": csrf_token(page.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 400, response.text  # the course has not started yet
    assert "first day and today" in response.text

    csv = client.get(f"{offer_url}/nominations.csv")
    assert csv.status_code == 200 and "Mere Tapu" in csv.text
    for path in (
        "/training",
        "/training/certified",
        "/training/reports",
        "/training/records/CK",
        f"/training/nominations/{nominations[0].id}",
    ):
        assert client.get(path).status_code == 200, path
    rows = soup(client.get("/training/reports").text).find_all("tr")
    assert any("2" in row.text for row in rows)
