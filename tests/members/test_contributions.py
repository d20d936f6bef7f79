"""Contributions to UN peacekeeping: a focal point reports figures by category and gender and records PCRS pledges
for their own state; wrong figures are refused; reports are appended; the region's chart is drawn on the server
with the same numbers in the table beside it and the women's targets read from the seeds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.core import region
from app.core.config import get_settings
from app.core.web import percent
from app.members import service as members
from app.members.models import ContributionReport, Pledge, RegionTotal
from tests.factories import alerts, make_user, soup, state
from tests.members.conftest import People, alert, copy_seeds, post_form, replace_in, rows_of, table_rows

CATEGORY_LABELS = {
    "troops": "Troops",
    "staff_officers": "Staff officers",
    "military_observers": "Military observers",
    "formed_police_units": "Formed police units",
    "individual_police": "Individual police officers",
    "experts_on_mission": "Experts on mission",
}
FIGURES = {
    "as_of": "2024-06-30",
    "category": "individual_police",
    "men": "20",
    "women": "5",
    "unspecified": "0",
    "source": "UN DPO, June 2024",
}


def report(browser: TestClient, code: str = "FJ", **changes: str) -> Any:
    return post_form(browser, f"/members/{code}", f"/members/{code}/contributions", **{**FIGURES, **changes})


def pledge(browser: TestClient, code: str = "FJ", **changes: str) -> Any:
    fields = {
        "capability": "Formed police unit",
        "category": "formed_police_units",
        "personnel": "140",
        "readiness": "level_2",
        "deployment_days": "60",
        **changes,
    }
    return post_form(browser, f"/members/{code}", f"/members/{code}/pledges", **fields)


def reports_of(session: Session, code: str) -> list[ContributionReport]:
    session.expire_all()
    return list(
        session.exec(
            select(ContributionReport)
            .where(ContributionReport.state_id == state(session, code).id)
            .order_by(col(ContributionReport.id))
        ).all()
    )


# Reporting figures


def test_a_focal_point_records_their_states_figures_by_category_and_gender(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    fiji = browser_for(people.fiji)

    for number, category in enumerate(CATEGORY_LABELS, start=1):
        saved = report(fiji, category=category, men=str(10 * number), women=str(number), unspecified="1")
        assert saved.status_code == 303 and saved.headers["location"] == "/members/FJ?notice=contribution-saved"

    page = fiji.get("/members/FJ?notice=contribution-saved").text
    assert soup(page).find(attrs={"role": "status"}).get_text(strip=True) == "The figures have been recorded."
    rows = table_rows(page, "contrib-heading")
    for number, label in enumerate(CATEGORY_LABELS.values(), start=1):
        assert ["30 Jun 2024", label, str(10 * number), str(number), "1", str(11 * number + 1)] in rows
    stored = reports_of(session, "FJ")[-6:]
    assert [(r.category, r.men, r.women, r.unspecified, r.as_of, r.recorded_by, r.source) for r in stored] == [
        (category, 10 * number, number, 1, date(2024, 6, 30), people.fiji.id, "UN DPO, June 2024")
        for number, category in enumerate(CATEGORY_LABELS, start=1)
    ]


def test_a_coordinator_may_record_figures_for_any_state(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    saved = report(browser_for(people.coordinator), "TO", category="troops", men="3", women="1")

    assert saved.status_code == 303
    assert [(r.category, r.men, r.women) for r in reports_of(session, "TO")] == [("troops", 3, 1)]


WRONG_FIGURES = {
    "negative": ({"men": "-3"}, "Enter whole numbers of people (Men)."),
    "not a number": ({"women": "five"}, "Enter whole numbers of people (Women)."),
    "a fraction": ({"unspecified": "2.5"}, "Enter whole numbers of people (Not specified)."),
    "more than anyone deploys": ({"men": "100001"}, "Enter whole numbers of people (Men)."),
    "unknown category": ({"category": "cooks"}, "Choose a category."),
    "in the future": ({"as_of": "2100-01-01"}, "The date must be between 1948 and today."),
    "before UN peacekeeping": ({"as_of": "1947-12-31"}, "The date must be between 1948 and today."),
    "not a date": ({"as_of": "30/06/2024"}, "Enter a date as YYYY-MM-DD."),
    "a far year without dashes": ({"as_of": "00010630"}, "Give dates between the years 1900 and 2199."),
}


@pytest.mark.parametrize(("changes", "message"), WRONG_FIGURES.values(), ids=WRONG_FIGURES.keys())
def test_wrong_figures_are_refused_with_a_clear_message_and_nothing_is_recorded(
    session: Session, people: People, browser_for: Callable[..., Any], changes: dict[str, str], message: str
) -> None:
    fiji = browser_for(people.fiji)
    before = rows_of(session, ContributionReport)

    refused = report(fiji, **changes)

    assert refused.status_code == 400
    assert alert(refused.text) == message
    form = soup(refused.text).find("form", action="/members/FJ/contributions")
    assert form is not None and form.find_parent("details").has_attr("open"), "the form is open with the message"
    assert rows_of(session, ContributionReport) == before


def form_values(html: str, action: str) -> dict[str, str]:
    """What each named field of the form sent to `action` holds as the page comes back: its value or chosen option."""
    form = soup(html).find("form", action=action)
    assert form is not None, f"no form sent to {action}"
    values = {str(field["name"]): str(field.get("value", "")) for field in form.find_all("input")}
    for select_field in form.find_all("select"):
        chosen = select_field.find("option", selected=True)
        values[str(select_field["name"])] = str(chosen["value"]) if chosen else ""
    values.pop("csrf_token", None)
    return values


def test_refused_figures_come_back_as_they_were_typed(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    typed = {**FIGURES, "category": "staff_officers", "men": "12", "women": "many", "source": "Mission roster"}

    refused = report(browser_for(people.fiji), **typed)

    assert alert(refused.text) == "Enter whole numbers of people (Women)."
    assert form_values(refused.text, "/members/FJ/contributions") == typed


def test_wrong_figures_are_explained_in_french_to_a_french_speaking_focal_point(
    session: Session, browser_for: Callable[..., Any]
) -> None:
    focal_point = make_user(
        session, role="focal_point", member_state_id=state(session, "NC").id, language="fr", password=None
    )
    french = browser_for(focal_point)
    before = rows_of(session, ContributionReport)

    future = report(french, "NC", as_of="2100-01-01")
    unknown = report(french, "NC", category="cuisiniers")

    assert alert(future.text) == "La date doit se situer entre 1948 et aujourd’hui."
    assert alert(unknown.text) == "Choisissez une catégorie."
    assert rows_of(session, ContributionReport) == before


def test_the_wrong_number_is_named_in_french_too(session: Session, browser_for: Callable[..., Any]) -> None:
    focal_point = make_user(
        session, role="focal_point", member_state_id=state(session, "NC").id, language="fr", password=None
    )

    refused = report(browser_for(focal_point), "NC", women="cinq")

    assert alert(refused.text) == "Saisissez des nombres entiers de personnes (Femmes)."


def test_a_focal_point_cannot_report_or_pledge_for_another_state(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    samoa = browser_for(people.samoa)
    token = soup(samoa.get("/members/WS").text).find("input", attrs={"name": "csrf_token"})["value"]
    before = [rows_of(session, ContributionReport), rows_of(session, Pledge)]

    for target in ("/members/FJ/contributions", "/members/FJ/pledges"):
        refused = samoa.post(
            target,
            data={
                "csrf_token": token,
                **FIGURES,
                "capability": "Engineers",
                "readiness": "level_1",
                "deployment_days": "30",
                "personnel": "5",
            },
        )
        assert refused.status_code == 403, target
        assert "You can act only for your own state." in soup(refused.text).find("main").get_text()

    assert [rows_of(session, ContributionReport), rows_of(session, Pledge)] == before


def test_a_new_report_for_the_same_date_and_category_is_appended_and_shown_instead_of_the_old_one(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    fiji = browser_for(people.fiji)
    report(fiji)
    first = rows_of(session, ContributionReport)

    assert report(fiji, men="22", women="6", source="Corrected").status_code == 303
    assert report(fiji, as_of="2024-07-31", men="18", women="7").status_code == 303

    now = rows_of(session, ContributionReport)
    assert now[: len(first)] == first, "the earlier report is kept as it was"
    assert [(r.as_of, r.men, r.women, r.source) for r in reports_of(session, "FJ")[-3:]] == [
        (date(2024, 6, 30), 20, 5, "UN DPO, June 2024"),
        (date(2024, 6, 30), 22, 6, "Corrected"),
        (date(2024, 7, 31), 18, 7, "UN DPO, June 2024"),
    ]
    shown = [
        row
        for row in table_rows(fiji.get("/members/FJ").text, "contrib-heading")
        if row[1] == "Individual police officers"
    ]
    assert shown == [
        ["31 Jul 2024", "Individual police officers", "18", "7", "0", "25"],
        ["30 Jun 2024", "Individual police officers", "22", "6", "0", "28"],
        ["30 May 2024", "Individual police officers", "0", "0", "26", "26"],
    ]


# Pledges


@pytest.mark.parametrize("days", ["30", "60", "90"])
def test_a_focal_point_pledges_a_capability_with_readiness_and_a_rapid_deployment_window(
    session: Session, people: People, browser_for: Callable[..., Any], days: str
) -> None:
    fiji = browser_for(people.fiji)

    saved = pledge(fiji, deployment_days=days, readiness="rapid")

    assert saved.status_code == 303 and saved.headers["location"] == "/members/FJ?notice=pledge-saved"
    rows = table_rows(fiji.get("/members/FJ").text, "pledge-heading")
    assert rows == [
        ["Formed police unit", "Formed police units", "140", "Rapid deployment level", f"{days} days", "Withdraw"]
    ]
    stored = session.exec(select(Pledge).where(Pledge.state_id == state(session, "FJ").id)).one()
    assert (stored.readiness, stored.deployment_days, stored.personnel, stored.recorded_by) == (
        "rapid",
        int(days),
        140,
        people.fiji.id,
    )


WRONG_PLEDGES = {
    "45 days": ({"deployment_days": "45"}, "Choose a rapid-deployment window of 30, 60 or 90 days."),
    "120 days": ({"deployment_days": "120"}, "Choose a rapid-deployment window of 30, 60 or 90 days."),
    "no window": ({"deployment_days": ""}, "Choose a rapid-deployment window of 30, 60 or 90 days."),
    "unknown readiness": ({"readiness": "level_9"}, "Choose a readiness level."),
    "unknown category": ({"category": "navy"}, "Choose a category."),
    "no capability": ({"capability": " "}, "Describe the pledged capability in 1 to 200 characters."),
    "negative personnel": ({"personnel": "-1"}, "Enter whole numbers of people (Personnel)."),
}


@pytest.mark.parametrize(("changes", "message"), WRONG_PLEDGES.values(), ids=WRONG_PLEDGES.keys())
def test_a_wrong_pledge_is_refused_with_a_clear_message_and_nothing_is_recorded(
    session: Session, people: People, browser_for: Callable[..., Any], changes: dict[str, str], message: str
) -> None:
    fiji = browser_for(people.fiji)

    refused = pledge(fiji, **changes)

    assert refused.status_code == 400
    assert alert(refused.text) == message
    assert rows_of(session, Pledge) == []


def test_a_pledge_with_four_wrong_fields_is_refused_in_french_with_every_message_and_nothing_is_recorded(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    people.fiji.language = "fr"
    session.add(people.fiji)
    session.commit()
    fiji = browser_for(people.fiji)

    refused = pledge(fiji, capability=" ", personnel="-1", readiness="level_9", deployment_days="45")

    assert refused.status_code == 400
    assert alerts(refused.text) == [
        "Décrivez la capacité annoncée en 1 à 200 caractères.",
        "Saisissez des nombres entiers de personnes (Personnel).",
        "Choisissez un niveau de préparation.",
        "Choisissez un délai de déploiement rapide de 30, 60 ou 90 jours.",
    ]
    assert rows_of(session, Pledge) == []


def test_a_refused_pledge_comes_back_as_it_was_typed(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    typed = {
        "capability": "Engineering company",
        "category": "troops",
        "personnel": "lots",
        "readiness": "level_3",
        "deployment_days": "90",
    }

    refused = pledge(browser_for(people.fiji), **typed)

    assert alert(refused.text) == "Enter whole numbers of people (Personnel)."
    assert form_values(refused.text, "/members/FJ/pledges") == typed


def test_a_withdrawn_pledge_leaves_the_page_and_stays_in_the_records(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    fiji = browser_for(people.fiji)
    pledge(fiji)
    kept = pledge(
        fiji,
        capability="Military observers",
        category="military_observers",
        personnel="4",
        readiness="level_1",
        deployment_days="90",
    )
    assert kept.status_code == 303
    first = session.exec(select(Pledge).where(Pledge.capability == "Formed police unit")).one()

    withdrawn = post_form(fiji, "/members/FJ", f"/members/FJ/pledges/{first.id}/withdraw")

    assert withdrawn.status_code == 303
    assert [row[0] for row in table_rows(fiji.get("/members/FJ").text, "pledge-heading")] == ["Military observers"]
    session.refresh(first)
    assert first.withdrawn_at is not None and len(rows_of(session, Pledge)) == 2


# The region's chart


def series_table(html: str) -> list[list[str]]:
    return table_rows(html, "series-heading")


def test_the_personnel_chart_is_drawn_on_the_server_with_the_stored_figures_in_the_table(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    report(browser_for(people.fiji))
    observer = browser_for(people.observer)

    page = observer.get("/contributions")

    assert page.status_code == 200
    totals = {total.as_of: total for total in session.exec(select(RegionTotal)).all()}
    reported: dict[date, int] = {}
    for found in session.exec(select(ContributionReport)).all():
        reported[found.as_of] = reported.get(found.as_of, 0) + found.total
    expected = [
        [
            f"{as_of.day} {as_of:%b %Y}",
            f"{totals[as_of].personnel if as_of in totals else reported[as_of]:,}",
            str(reported.get(as_of, 0)),
            totals[as_of].source if as_of in totals else "Sum of state reports",
        ]
        for as_of in sorted(set(totals) | set(reported))
    ]
    assert series_table(page.text) == expected
    assert expected[0][:2] == ["31 Oct 2020", "1,837"] and expected[1][:3] == ["30 May 2024", "1,531", "36"]
    assert expected[2][:3] == ["30 Jun 2024", "25", "25"]

    chart = soup(page.text).find(id="series-heading").find_parent("section").find("svg")
    bars = chart.find_all("rect", class_="bar")
    values = [text.get_text(strip=True) for text in chart.find_all("text", class_="value")]
    labels = [text.get_text(strip=True) for text in chart.find_all("text", class_="label")]
    assert (values, labels) == ([row[1] for row in expected], [row[0] for row in expected])
    heights = [float(bar["height"]) for bar in bars]
    assert heights[1] / heights[0] == pytest.approx(1531 / 1837, abs=0.01)
    assert heights[2] / heights[0] == pytest.approx(25 / 1837, abs=0.01)


def share_rows(html: str) -> list[list[str]]:
    return table_rows(html, "women-heading")


def test_the_womens_share_is_compared_with_the_targets_of_the_seeds(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    report(browser_for(people.fiji), men="20", women="5")
    members.record_contribution(
        session,
        user=people.samoa,
        state=state(session, "WS"),
        as_of=date(2024, 6, 30),
        category="formed_police_units",
        men=30,
        women=10,
    )
    members.record_contribution(
        session,
        user=people.coordinator,
        state=state(session, "PG"),
        as_of=date(2024, 6, 30),
        category="staff_officers",
        men=9,
        women=1,
    )

    page = browser_for(people.observer).get("/contributions").text

    targets = region.load(get_settings().seeds_dir).targets
    assert sorted(target.share for target in targets) == [0.15, 0.20]
    shares = {"women-staff-observers": (1, 10), "women-police": (15, 65)}
    assert share_rows(page) == [
        [
            target.label("en"),
            str(shares[target.key][0]),
            str(shares[target.key][1]),
            percent(shares[target.key][0] / shares[target.key][1]),
            percent(target.share),
        ]
        for target in targets
    ]
    assert {row[4] for row in share_rows(page)} == {"15.0%", "20.0%"}
    chart = soup(page).find(id="women-heading").find_parent("section").find("svg")
    assert [text.get_text(strip=True) for text in chart.find_all("text", class_="value")] == [
        f"target {percent(target.share)}" for target in targets
    ]


def test_changing_a_target_in_the_seed_files_changes_the_chart_and_the_table(
    session: Session, people: People, browser_for: Callable[..., Any], configure: Callable[..., None], tmp_path: Path
) -> None:
    observer = browser_for(people.observer)
    before = soup(observer.get("/contributions").text).find(id="women-heading").find_parent("section")
    changed = copy_seeds(tmp_path)
    replace_in(changed / "targets.toml", "share = 0.15", "share = 0.25")
    replace_in(changed / "targets.toml", "share = 0.20", "share = 0.35")
    replace_in(changed / "targets.toml", 'label_en = "Women among police"', 'label_en = "Women in police units"')
    configure(seeds_dir=str(changed))

    page = observer.get("/contributions").text

    assert [(row[0], row[4]) for row in share_rows(page)] == [
        ("Women among staff officers and military observers", "25.0%"),
        ("Women in police units", "35.0%"),
    ]
    after = soup(page).find(id="women-heading").find_parent("section")
    assert [text.get_text(strip=True) for text in after.find_all("text", class_="value")] == [
        "target 25.0%",
        "target 35.0%",
    ]
    lines = [float(line["x1"]) for line in after.find_all("line", class_="target")]
    assert lines != [float(line["x1"]) for line in before.find_all("line", class_="target")]


def test_the_contributions_page_names_states_and_categories_in_french(
    session: Session, browser_for: Callable[..., Any]
) -> None:
    reader = make_user(session, role="observer", language="fr", password=None)

    page = browser_for(reader).get("/contributions").text

    rows = table_rows(page, "reports-heading")
    assert sorted(rows) == [
        ["Fidji", "30 mai 2024", "Policiers individuels", "0", "0", "26"],
        ["Kiribati", "30 mai 2024", "Policiers individuels", "0", "0", "8"],
        ["Papouasie-Nouvelle-Guinée", "30 mai 2024", "Experts en mission", "0", "0", "2"],
    ]
    series = table_rows(page, "series-heading")
    assert [row[3] for row in series][:2] == [
        "Document de réflexion sur la création du réseau, juin 2024 (chiffre d’octobre 2020)",
        "Document de réflexion sur la création du réseau, juin 2024",
    ], "the study's figures name their source by its French title"
