"""The home page: the network's name and the governance option in force, in English and French."""

from __future__ import annotations

import pytest

from tests.factories import soup


def test_home_shows_network_and_option(client) -> None:
    page = soup(client.get("/").text)
    assert page.h1.get_text(strip=True) == "Pacific Region Cooperation Network in the Field of Peacekeeping"
    assert "Informal option" in page.find(id="option-heading").get_text()
    assert "quarterly" in page.find("section").get_text()


@pytest.mark.parametrize(
    ("option", "label"),
    [
        ("diplomatic", "Diplomatic option"),
        ("operational", "Operational option"),
        ("informal", "Informal option"),
        ("adhoc", "Ad hoc voluntary network"),
    ],
)
def test_home_follows_configured_option(client, monkeypatch, option: str, label: str) -> None:
    from app.core.config import get_settings

    monkeypatch.setenv("PRCN_GOVERNANCE_OPTION", option)
    get_settings.cache_clear()
    try:
        heading = soup(client.get("/").text).find(id="option-heading").get_text()
    finally:
        monkeypatch.delenv("PRCN_GOVERNANCE_OPTION")
        get_settings.cache_clear()
    assert label in heading


def test_home_in_french_from_browser_preference(client) -> None:
    page = soup(client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).text)
    assert page.html["lang"] == "fr"
    assert "Réseau de coopération" in page.h1.get_text()
    assert "Option informelle" in page.find(id="option-heading").get_text()


def _published_meeting(session, coordinator, *, title: str, summary: str, publish: bool):  # type: ignore[no-untyped-def]
    from app.core.config import get_settings
    from app.meetings import service as meetings

    meeting = meetings.create_meeting(
        session,
        get_settings(),
        user=coordinator,
        form=meetings.MeetingForm(
            title=title,
            day="2025-03-11",
            start="10:00",
            duration=120,
            host_zone="Pacific/Fiji",
            format="virtual",
            link="https://meet.example.org/sme",
            body_key="sme",
        ),
    )
    return meetings.set_publication(
        session, user=coordinator, meeting=meeting, summary=summary, publish=publish, chatham_house=True
    )


def test_public_page_shows_states_summaries_and_documents_without_signing_in(client, session) -> None:
    from app.core.config import get_settings
    from app.governance import service as governance
    from app.library import service as library
    from tests.factories import make_user, state

    settings = get_settings()
    coordinator = make_user(session, role="coordinator", password=None)
    sme = governance.get_body(session, settings, "sme", user=coordinator)
    governance.record_membership(session, settings, user=coordinator, body=sme, state=state(session, "VU"))
    _published_meeting(
        session, coordinator, title="First SME meeting", summary="States shared **SAAT** plans.", publish=True
    )
    _published_meeting(session, coordinator, title="Draft only", summary="Not for the public.", publish=False)
    library.upload(
        session,
        settings,
        user=coordinator,
        title="Lessons from the April 2024 exercise",
        kind="lesson_learned",
        language="en",
        tags="exercise",
        access="public",
        body_key="",
        working_group_id=None,
        summary="",
        filename="lessons.txt",
        content=b"What worked in Fiji.",
    )
    library.upload(
        session,
        settings,
        user=coordinator,
        title="Members only note",
        kind="guidance_note",
        language="en",
        tags="",
        access="members",
        body_key="",
        working_group_id=None,
        summary="",
        filename="note.txt",
        content=b"For members.",
    )
    page = soup(client.get("/").text)
    states = page.find(id="states-heading").find_parent("section")
    vanuatu = next(li for li in states.find_all("li") if li.get_text().startswith("Vanuatu"))
    assert vanuatu.find(class_="badge").get_text() == "member"
    assert next(li for li in states.find_all("li") if li.get_text().startswith("Tonga")).find(class_="badge") is None
    groups = {
        h3.get_text(): [li.get_text() for li in h3.find_next("ul").find_all("li")] for h3 in states.find_all("h3")
    }
    assert list(groups) == ["Pacific Islands Forum members", "Forum associate members", "Partners of the region"]
    assert "Australia" in groups["Pacific Islands Forum members"], "a Forum member is not listed as a partner"
    assert groups["Partners of the region"] == ["Japan", "Republic of Korea"]
    summaries = page.find(id="summaries-heading").find_parent("section")
    assert "First SME meeting" in summaries.get_text() and summaries.find("strong").get_text() == "SAAT"
    assert "Draft only" not in page.get_text()
    documents = page.find(id="documents-heading").find_parent("section").get_text()
    assert "Lessons from the April 2024 exercise" in documents and "Members only note" not in documents


def test_public_page_needs_nothing_from_another_site(client) -> None:
    page = soup(client.get("/").text)
    for tag, attribute in (("script", "src"), ("link", "href"), ("img", "src"), ("a", "href")):
        for element in page.find_all(tag):
            target = element.get(attribute) or "/"
            assert target.startswith(("/", "#", "mailto:")), f"{tag} points elsewhere: {target}"
