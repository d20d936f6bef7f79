"""Working groups: created only where the option allows, with its tracks; renamed, archived and restaffed
with every change kept; bad input refused with a message and nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from app.audit.models import AuditEntry
from app.core.errors import DomainError, Forbidden
from app.core.region import TRACKS
from app.governance import service as governance
from app.governance.models import WorkingGroup, WorkingGroupEvent
from tests.factories import alerts, csrf_token, soup, state
from tests.governance.conftest import OPTIONS, PROFILE_GROUPS, People, alert, settings_for
from tests.support.portal import Portal

ALLOWED = [
    (option, key, track) for option in OPTIONS for key, tracks in PROFILE_GROUPS[option].items() for track in tracks
]
REFUSED_TRACKS = [
    (option, key, track)
    for option in OPTIONS
    for key, tracks in PROFILE_GROUPS[option].items()
    for track in TRACKS
    if track not in tracks
]
REFUSED_BODIES = [
    (option, key)
    for option in OPTIONS
    if PROFILE_GROUPS[option]
    for key in ("sme", "pif", "pif-subcommittee", "spdmm-group", "picp-group", "adhoc-network", "no-such-body")
    if key not in PROFILE_GROUPS[option]
]


def group_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(WorkingGroup)).one()


def stored_groups(session: Session) -> list[tuple[Any, ...]]:
    """Every working group and membership change as stored, to show that a refusal changed nothing; each row's fields
    sorted by name, since a row read again after the refusal's rollback may list them in another order."""
    groups = [
        tuple(sorted(g.model_dump().items())) for g in session.exec(select(WorkingGroup).order_by(WorkingGroup.id))
    ]
    events = [
        tuple(sorted(e.model_dump().items()))
        for e in session.exec(select(WorkingGroupEvent).order_by(WorkingGroupEvent.id))
    ]
    return groups + events


def create(session: Session, people: People, option: str, **fields: Any) -> WorkingGroup:
    values: dict[str, Any] = {
        "body_key": "adhoc-network",
        "name": "Pre-deployment training",
        "track": "police",
        "lead_state_id": state(session, "FJ").id,
        "mandate": "",
        "member_state_ids": [],
    }
    values.update(fields)
    return governance.create_working_group(session, settings_for(option), user=people.coordinator, **values)


def form(page_html: str, **fields: Any) -> dict[str, Any]:
    return {"csrf_token": csrf_token(page_html), **fields}


@pytest.mark.parametrize(("option", "body_key", "track"), ALLOWED)
def test_group_is_created_under_each_body_and_track_the_option_allows(
    session: Session, people: People, option: str, body_key: str, track: str
) -> None:
    group = create(session, people, option, body_key=body_key, track=track, name=f"{body_key} {track} group")
    listed = governance.list_working_groups(session, settings_for(option), user=people.fiji)
    assert [(g.name, b.key, g.track) for g, b, _ in listed if g.id == group.id] == [
        (f"{body_key} {track} group", body_key, track)
    ]


@pytest.mark.parametrize(("option", "body_key", "track"), REFUSED_TRACKS)
def test_track_the_body_does_not_allow_is_refused(
    session: Session, people: People, option: str, body_key: str, track: str
) -> None:
    before = group_count(session)
    with pytest.raises(DomainError) as refused:
        create(session, people, option, body_key=body_key, track=track)
    message = refused.value.message % refused.value.params
    assert "may have these tracks only" in message
    assert ", ".join(PROFILE_GROUPS[option][body_key]) in message
    assert group_count(session) == before


@pytest.mark.parametrize(("option", "body_key"), REFUSED_BODIES)
def test_body_without_working_groups_under_the_option_is_refused(
    session: Session, people: People, option: str, body_key: str
) -> None:
    before = group_count(session)
    with pytest.raises(DomainError, match="Choose a body under which the current option allows working groups"):
        create(session, people, option, body_key=body_key, track="joint")
    assert group_count(session) == before


def test_informal_option_has_no_working_groups_at_all(session: Session, people: People) -> None:
    before = group_count(session)
    for body_key in ("sme", "adhoc-network", "pif-subcommittee"):
        with pytest.raises(DomainError, match="The current governance option has no working groups"):
            create(session, people, "informal", body_key=body_key, track="joint")
    assert group_count(session) == before
    assert governance.working_group_bodies(session, settings_for("informal")) == []


def test_informal_page_offers_no_form_and_refuses_a_crafted_post(
    session: Session, people: People, portal: Portal
) -> None:
    portal.run("informal")
    coordinator = portal.client(people.coordinator)
    page = coordinator.get("/working-groups")
    assert page.status_code == 200
    section = soup(page.text).find(id="new-group-heading").parent
    assert "The current governance option has no working groups." in section.get_text()
    assert section.find("form") is None
    before = stored_groups(session)

    response = coordinator.post(
        "/working-groups",
        data=form(
            page.text, body="sme", name="Quarterly follow-up", track="joint", lead_state_id=state(session, "FJ").id
        ),
    )

    assert response.status_code == 400
    assert "The current governance option has no working groups." in soup(response.text).get_text()
    assert stored_groups(session) == before


def test_coordinator_creates_a_group_with_lead_members_mandate_and_track(
    session: Session, people: People, portal: Portal
) -> None:
    portal.run("adhoc")
    fiji, samoa, tonga = (state(session, code) for code in ("FJ", "WS", "TO"))
    coordinator = portal.client(people.coordinator)
    page = coordinator.get("/working-groups")
    offered = [option["value"] for option in soup(page.text).select("#f-body option")]
    assert offered == ["adhoc-network"]

    response = coordinator.post(
        "/working-groups",
        data=form(
            page.text,
            body="adhoc-network",
            name="  Pre-deployment training  ",
            track="police",
            lead_state_id=str(fiji.id),
            member_state_ids=[str(samoa.id), str(tonga.id)],
            mandate="A regional approach to pre-deployment training of individual police officers.",
        ),
    )

    assert response.status_code == 303
    assert response.headers["location"].endswith("?notice=group-created")
    shown = soup(coordinator.get(response.headers["location"]).text)
    assert shown.h1.get_text(strip=True) == "Pre-deployment training"
    facts = dict(
        zip(
            [dt.get_text(strip=True) for dt in shown.select("dl.facts dt")],
            [dd.get_text(strip=True) for dd in shown.select("dl.facts dd")],
            strict=True,
        )
    )
    assert facts["Track"] == "Police"
    assert facts["Lead state"] == "Fiji"
    assert facts["Body"].startswith("Pacific peacekeeping network")
    assert facts["Mandate"].startswith("A regional approach")
    members = [a.get_text(strip=True) for a in shown.find(id="wg-members-heading").parent.select("ul > li > a")]
    assert members == ["Fiji", "Samoa", "Tonga"]
    listed = soup(portal.client(people.fiji).get("/working-groups").text)
    row = listed.find("a", string="Pre-deployment training").find_parent("tr")
    assert [cell.get_text(strip=True) for cell in row.find_all("td")] == ["PPN", "Police", "Fiji", "3"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "   "}, "Enter a name of 1 to 160 characters."),
        ({"name": "x" * 161}, "Enter a name of 1 to 160 characters."),
        ({"body": "pif"}, "Choose a body under which the current option allows working groups."),
        ({"body": "spdmm-group"}, "Choose a body under which the current option allows working groups."),
        ({"track": "navy"}, "This body's working groups may have these tracks only: military, police, joint."),
        ({"track": ""}, "This body's working groups may have these tracks only: military, police, joint."),
        ({"lead_state_id": ""}, "Choose the lead state."),
        ({"lead_state_id": "999999"}, "Choose the lead state."),
        ({"mandate": "m" * 5001}, "The mandate may have at most 5000 characters."),
    ],
)
def test_bad_input_shows_the_message_and_stores_nothing(
    session: Session, people: People, portal: Portal, fields: dict[str, str], message: str
) -> None:
    portal.run("adhoc")
    coordinator = portal.client(people.coordinator)
    page = coordinator.get("/working-groups")
    before = stored_groups(session)
    values = {
        "body": "adhoc-network",
        "name": "Gender parity in deployments",
        "track": "joint",
        "lead_state_id": str(state(session, "FJ").id),
        "mandate": "Share practice.",
        **fields,
    }

    response = coordinator.post("/working-groups", data=form(page.text, **values))

    assert response.status_code == 400
    assert alert(response.text) == message
    assert stored_groups(session) == before
    kept = soup(response.text).find(id="f-name")
    assert kept["value"] == values["name"][:160], "the form keeps what was typed"


def test_a_group_with_four_wrong_fields_is_refused_with_every_message_and_what_was_typed_kept(
    session: Session, people: People, portal: Portal
) -> None:
    portal.run("adhoc")
    coordinator = portal.client(people.coordinator)
    page = coordinator.get("/working-groups")
    before = stored_groups(session)
    lead = str(state(session, "WS").id)

    response = coordinator.post(
        "/working-groups",
        data=form(
            page.text,
            body="adhoc-network",
            name=" ",
            track="navy",
            lead_state_id=lead,
            member_state_ids=["999999"],
            mandate="m" * 5001,
        ),
    )

    assert response.status_code == 400
    assert alerts(response.text) == [
        "Enter a name of 1 to 160 characters.",
        "This body's working groups may have these tracks only: military, police, joint.",
        "Choose member states from the list.",
        "The mandate may have at most 5000 characters.",
    ]
    shown = soup(response.text)
    assert shown.find(id="f-body").find("option", selected=True)["value"] == "adhoc-network"
    assert shown.find(id="f-lead").find("option", selected=True)["value"] == lead
    assert shown.find(id="f-mandate").get_text() == "m" * 5000
    assert stored_groups(session) == before


def test_a_group_under_a_body_without_groups_is_refused_without_a_word_on_its_track(
    session: Session, people: People, portal: Portal
) -> None:
    portal.run("adhoc")
    coordinator = portal.client(people.coordinator)
    page = coordinator.get("/working-groups")
    before = stored_groups(session)

    response = coordinator.post(
        "/working-groups",
        data=form(page.text, body="pif", name="Training", track="navy", lead_state_id=""),
    )

    assert response.status_code == 400
    assert alerts(response.text) == [
        "Choose a body under which the current option allows working groups.",
        "Choose the lead state.",
    ]
    assert stored_groups(session) == before


def test_unknown_member_state_is_refused_and_no_half_made_group_appears(
    session: Session, people: People, portal: Portal
) -> None:
    portal.run("adhoc")
    coordinator = portal.client(people.coordinator)
    page = coordinator.get("/working-groups")
    before = stored_groups(session)

    response = coordinator.post(
        "/working-groups",
        data=form(
            page.text,
            body="adhoc-network",
            name="Ghost group",
            track="joint",
            lead_state_id=str(state(session, "FJ").id),
            member_state_ids=["999999"],
        ),
    )

    assert response.status_code == 400
    assert alert(response.text) == "Choose member states from the list."
    assert soup(response.text).find("a", string="Ghost group") is None, "the refused group is listed"
    assert stored_groups(session) == before


def test_focal_point_cannot_create_a_group(session: Session, people: People, portal: Portal) -> None:
    portal.run("adhoc")
    fiji = portal.client(people.fiji)
    page = fiji.get("/working-groups")
    assert soup(page.text).find(id="new-group-heading") is None
    before = stored_groups(session)
    response = fiji.post(
        "/working-groups",
        data=form(
            page.text, body="adhoc-network", name="Mine", track="joint", lead_state_id=str(state(session, "FJ").id)
        ),
    )
    assert response.status_code == 403
    with pytest.raises(Forbidden):
        governance.create_working_group(
            session,
            settings_for("adhoc"),
            user=people.fiji,
            body_key="adhoc-network",
            name="Mine",
            track="joint",
            lead_state_id=state(session, "FJ").id,
            mandate="",
            member_state_ids=[],
        )
    assert stored_groups(session) == before


def audit_trail(session: Session, group: WorkingGroup) -> list[tuple[str, Any, Any]]:
    entries = session.exec(
        select(AuditEntry)
        .where(AuditEntry.entity == "working_group", AuditEntry.entity_id == str(group.id))
        .order_by(col(AuditEntry.id))
    ).all()
    return [(entry.action, entry.before, entry.after) for entry in entries]


def test_rename_and_new_mandate_are_saved_with_before_and_after_kept(
    session: Session, people: People, portal: Portal
) -> None:
    group = create(session, people, "adhoc", name="Training", mandate="First mandate.")
    portal.run("adhoc")
    coordinator = portal.client(people.coordinator)
    page = coordinator.get(f"/working-groups/{group.id}")

    response = coordinator.post(
        f"/working-groups/{group.id}",
        data=form(
            page.text, name="Pre-deployment training", mandate="Second mandate.", lead_state_id=str(group.lead_state_id)
        ),
    )

    assert response.status_code == 303
    shown = soup(coordinator.get(response.headers["location"]).text)
    assert shown.h1.get_text(strip=True) == "Pre-deployment training"
    assert "The working group has been saved." in shown.get_text()
    trail = audit_trail(session, group)
    assert [action for action, _, _ in trail] == ["create", "update"]
    assert trail[1][1]["name"] == "Training" and trail[1][1]["mandate"] == "First mandate."
    assert trail[1][2]["name"] == "Pre-deployment training" and trail[1][2]["mandate"] == "Second mandate."


def test_rename_to_an_empty_name_is_refused_and_keeps_the_old_name(
    session: Session, people: People, portal: Portal
) -> None:
    group = create(session, people, "adhoc", name="Training")
    portal.run("adhoc")
    coordinator = portal.client(people.coordinator)
    page = coordinator.get(f"/working-groups/{group.id}")
    before = stored_groups(session)

    response = coordinator.post(
        f"/working-groups/{group.id}",
        data=form(page.text, name=" ", mandate="", lead_state_id=str(group.lead_state_id)),
    )

    assert response.status_code == 400
    assert alert(response.text) == "Enter a name of 1 to 160 characters."
    assert stored_groups(session) == before
    assert [action for action, _, _ in audit_trail(session, group)] == ["create"]


def test_a_refused_change_comes_back_as_it_was_typed(session: Session, people: People, portal: Portal) -> None:
    group = create(session, people, "adhoc", name="Training", mandate="First mandate.")
    portal.run("adhoc")
    coordinator = portal.client(people.coordinator)
    page = coordinator.get(f"/working-groups/{group.id}")
    before = stored_groups(session)

    response = coordinator.post(
        f"/working-groups/{group.id}",
        data=form(page.text, name="Pre-deployment training", mandate="Second mandate.", lead_state_id="0"),
    )

    assert response.status_code == 400
    assert alert(response.text) == "Choose the lead state."
    edit = soup(response.text).select_one(f"form[action='/working-groups/{group.id}']")
    assert edit is not None
    assert [field["value"] for field in edit.select("input[name=name]")] == ["Pre-deployment training"]
    assert [area.get_text() for area in edit.select("textarea[name=mandate]")] == ["Second mandate."]
    assert stored_groups(session) == before


def test_a_change_with_three_wrong_fields_is_refused_in_french_with_every_message(
    session: Session, people: People, portal: Portal
) -> None:
    group = create(session, people, "adhoc", name="Training")
    people.coordinator.language = "fr"
    session.add(people.coordinator)
    session.commit()
    portal.run("adhoc")
    coordinator = portal.client(people.coordinator)
    page = coordinator.get(f"/working-groups/{group.id}")
    before = stored_groups(session)

    response = coordinator.post(
        f"/working-groups/{group.id}",
        data=form(page.text, name=" ", lead_state_id="999999", mandate="m" * 5001),
    )

    assert response.status_code == 400
    assert alerts(response.text) == [
        "Saisissez un nom de 1 à 160 caractères.",
        "Choisissez l’État chef de file.",
        "Le mandat peut compter au plus 5000 caractères.",
    ]
    assert stored_groups(session) == before
    assert [action for action, _, _ in audit_trail(session, group)] == ["create"]


def test_archive_and_bring_back_are_both_kept_in_the_history(session: Session, people: People, portal: Portal) -> None:
    group = create(session, people, "adhoc", name="Training")
    portal.run("adhoc")
    coordinator = portal.client(people.coordinator)
    page = coordinator.get(f"/working-groups/{group.id}")

    archived = coordinator.post(
        f"/working-groups/{group.id}/archive", data=form(page.text, archived="1", confirmed="yes")
    )

    assert archived.status_code == 303
    shown = coordinator.get(f"/working-groups/{group.id}").text
    assert "This working group is archived." in soup(shown).get_text()
    row = soup(coordinator.get("/working-groups").text).find("main").find("a", string="Training").find_parent("tr")
    assert "archived" in row.get_text() and "dormant" in row["class"]
    assert group.id not in {
        g.id for g, _, _ in governance.list_working_groups(session, settings_for("adhoc"), user=people.coordinator)
    }

    restored = coordinator.post(f"/working-groups/{group.id}/archive", data=form(shown, archived="0"))

    assert restored.status_code == 303
    assert "This working group is archived." not in soup(coordinator.get(f"/working-groups/{group.id}").text).get_text()
    assert [action for action, _, _ in audit_trail(session, group)] == ["create", "archive", "restore"]


def test_member_states_join_and_leave_with_each_change_appended(
    session: Session, people: People, portal: Portal
) -> None:
    fiji, samoa = state(session, "FJ"), state(session, "WS")
    group = create(session, people, "adhoc", name="Training")
    portal.run("adhoc")
    coordinator = portal.client(people.coordinator)
    page = coordinator.get(f"/working-groups/{group.id}")

    added = coordinator.post(
        f"/working-groups/{group.id}/members", data=form(page.text, state_id=str(samoa.id), change="add")
    )
    assert added.status_code == 303
    first_rows = stored_groups(session)
    removed = coordinator.post(
        f"/working-groups/{group.id}/members",
        data=form(page.text, state_id=str(samoa.id), change="remove", confirmed="yes"),
    )
    assert removed.status_code == 303

    assert stored_groups(session)[: len(first_rows)] == first_rows, "earlier changes are never rewritten"
    events = session.exec(
        select(WorkingGroupEvent)
        .where(WorkingGroupEvent.working_group_id == group.id)
        .order_by(col(WorkingGroupEvent.id))
    ).all()
    assert [(e.state_id, e.kind, e.recorded_by) for e in events] == [
        (fiji.id, "added", people.coordinator.id),
        (samoa.id, "added", people.coordinator.id),
        (samoa.id, "removed", people.coordinator.id),
    ]
    shown = soup(coordinator.get(f"/working-groups/{group.id}").text)
    assert [a.get_text(strip=True) for a in shown.find(id="wg-members-heading").parent.select("ul > li > a")] == [
        "Fiji"
    ]


@pytest.mark.parametrize(
    ("code", "change", "message"),
    [
        ("FJ", "add", "This state is already a member."),
        ("WS", "remove", "This state is not a member."),
        ("FJ", "remove", "The lead state cannot leave its working group; choose another lead first."),
    ],
)
def test_impossible_member_change_is_explained_and_changes_nothing(
    session: Session, people: People, portal: Portal, code: str, change: str, message: str
) -> None:
    group = create(session, people, "adhoc", name="Training")
    portal.run("adhoc")
    coordinator = portal.client(people.coordinator)
    page = coordinator.get(f"/working-groups/{group.id}")
    before = stored_groups(session)

    response = coordinator.post(
        f"/working-groups/{group.id}/members",
        data=form(page.text, state_id=str(state(session, code).id), change=change),
    )

    assert response.status_code in (400, 409)
    assert alert(response.text) == message
    assert stored_groups(session) == before


def test_focal_point_cannot_change_a_group_by_guessing_its_address(
    session: Session, people: People, portal: Portal
) -> None:
    group = create(session, people, "adhoc", name="Training")
    portal.run("adhoc")
    fiji = portal.client(people.fiji)
    page = fiji.get(f"/working-groups/{group.id}")
    assert page.status_code == 200
    assert soup(page.text).find("form", attrs={"action": f"/working-groups/{group.id}"}) is None
    before = stored_groups(session)
    token = csrf_token(fiji.get("/").text)
    answers = [
        fiji.post(
            f"/working-groups/{group.id}",
            data={"csrf_token": token, "name": "Taken", "mandate": "", "lead_state_id": str(group.lead_state_id)},
        ),
        fiji.post(f"/working-groups/{group.id}/archive", data={"csrf_token": token, "archived": "1"}),
        fiji.post(
            f"/working-groups/{group.id}/members",
            data={"csrf_token": token, "change": "add", "state_id": str(state(session, "WS").id)},
        ),
    ]
    assert [answer.status_code for answer in answers] == [403, 403, 403]
    assert stored_groups(session) == before


def test_new_lead_state_is_one_of_the_group_members(session: Session, people: People, portal: Portal) -> None:
    """The lead cannot leave its group, so a lead from outside the group must be refused or brought in."""
    group = create(session, people, "adhoc", name="Training")
    tonga = state(session, "TO")
    portal.run("adhoc")
    coordinator = portal.client(people.coordinator)
    page = coordinator.get(f"/working-groups/{group.id}")
    offered = [option["value"] for option in soup(page.text).select("#f-lead option")]
    assert offered == [str(group.lead_state_id)], "the form offers the group's members only"

    response = coordinator.post(
        f"/working-groups/{group.id}", data=form(page.text, name="Training", mandate="", lead_state_id=str(tonga.id))
    )

    members = governance.group_members(session, [group.id]).get(group.id, set())
    session.refresh(group)
    assert group.lead_state_id in members, f"answer {response.status_code}: the lead is outside its group"
