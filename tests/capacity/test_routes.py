"""The capacity pages through HTTP: the needs list and its htmx fragment, recording needs and support with refused
input explained in the user's language and nothing saved, guessed ids refused, the deconfliction view and its
fragment, the form token, and pages whose query count does not grow with the data."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from app.auth.models import User
from app.capacity import service
from app.capacity.models import Need, Support
from app.core import paging
from app.core.config import get_settings
from app.core.db import get_engine
from tests.capacity.conftest import DPO, counts, day, focal_point, past_due, record_need, record_support, statuses
from tests.factories import QueryLog, alerts, csrf_token, make_user, sign_in, soup, state

FORM_EXPIRED = "This form has expired or did not come from this portal. Reload the page and try again."


def alert(html: str) -> str:
    found = soup(html).find(attrs={"role": "alert"})
    assert found is not None, "the page shows no error message"
    return " ".join(found.get_text(" ").split())


def notice(html: str) -> str:
    found = soup(html).find(attrs={"role": "status"})
    assert found is not None, "the page shows no notice"
    return " ".join(found.get_text(" ").split())


def table_rows(html: str, caption_start: str = "") -> list[list[str]]:
    """The body rows of the (first matching) table, each cell's text, spaces normalised."""
    for table in soup(html).find_all("table"):
        caption = table.find("caption")
        if caption is not None and caption.get_text(" ", strip=True).startswith(caption_start):
            return [
                [" ".join(c.get_text(" ").split()) for c in tr.find_all(["th", "td"])]
                for tr in table.find("tbody").find_all("tr")
            ]
    raise AssertionError(f"no table whose caption starts with {caption_start!r}")


def assert_every_field_labelled(html: str) -> None:
    page = soup(html)
    for field in page.select("input:not([type=hidden]), select, textarea"):
        if field.find_parent("label") is not None:
            continue
        assert field.get("id") and page.find("label", attrs={"for": field["id"]}), f"unlabelled field {field}"
    for form in page.find_all("form", attrs={"method": "post"}):
        assert form.get("action"), "a form without an action"
        assert form.find("input", attrs={"type": "hidden", "name": "csrf_token"}), f"no token in {form['action']}"


def selected(html: str, name: str) -> str:
    option = soup(html).select_one(f"select[name={name}] option[selected]")
    return str(option["value"]) if option else ""


# The needs list


def test_the_needs_page_and_its_htmx_fragment_list_the_filtered_needs(
    client: Any, session: Session, coordinator: User, observer: User
) -> None:
    record_need(session, coordinator, description="Fiji SAAT preparation")
    record_need(session, coordinator, state="WS", area="logistics", description="Samoa transport to missions")
    sign_in(client, session, observer)

    full = client.get("/needs?subregion=polynesia")
    assert full.status_code == 200
    page = soup(full.text)
    assert page.find("html") is not None and page.select_one("nav a[href='/needs']") is not None
    assert selected(full.text, "subregion") == "polynesia"
    assert [row[:3] for row in table_rows(full.text, "1 need")] == [
        ["Samoa transport to missions", "Samoa", "Logistics"]
    ]
    assert page.find("form", attrs={"action": "/needs", "method": "post"}) is None  # observers record no needs
    assert page.select_one("a[href='/support/new']") is not None
    assert_every_field_labelled(full.text)

    fragment = client.get("/needs?area=training", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert soup(fragment.text).find("html") is None and soup(fragment.text).find("form") is None
    assert [row[:2] for row in table_rows(fragment.text)] == [["Fiji SAAT preparation", "Fiji"]]


def test_a_focal_point_records_a_need_for_their_state_and_sees_it_with_its_history(
    client: Any, session: Session, fiji: User
) -> None:
    sign_in(client, session, fiji)
    page = client.get("/needs").text
    form = soup(page).find("form", attrs={"action": "/needs", "method": "post"})
    assert form.find("select", attrs={"name": "state"}) is None and "Fiji" in form.get_text()
    assert_every_field_labelled(page)
    response = client.post(
        "/needs",
        data={
            "csrf_token": csrf_token(page),
            "area": "deployment_support",
            "track": "military",
            "priority": "high",
            "description": "Pre-deployment training for a platoon",
            "wanted_by": day(120),
        },
    )
    assert response.status_code == 303
    need = session.get(Need, int(response.headers["location"].split("/")[2].split("?")[0]))
    assert need is not None and (need.state_id, need.status) == (state(session, "FJ").id, "open")
    shown = client.get(response.headers["location"]).text
    assert notice(shown) == "The need has been recorded."
    assert soup(shown).find("h1").get_text(strip=True) == "Need of Fiji"
    [entry] = table_rows(shown, "Every change")
    assert entry[1:3] == ["Open", "Fiji Focal Point"]


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Choose an area from the list."),
        ("fr", "Choisissez un domaine dans la liste."),
    ],
)
def test_a_need_in_an_unknown_area_is_refused_with_the_form_kept_and_nothing_saved(
    client: Any, session: Session, language: str, message: str
) -> None:
    sign_in(client, session, focal_point(session, "FJ", language=language))
    page = client.get("/needs").text
    before = counts(session)
    response = client.post(
        "/needs",
        data={
            "csrf_token": csrf_token(page),
            "area": "catering",
            "track": "police",
            "priority": "high",
            "description": "Field kitchens",
        },
    )
    assert response.status_code == 400
    assert alert(response.text) == message
    assert soup(response.text).find("textarea", attrs={"name": "description"}).get_text() == "Field kitchens"
    assert counts(session) == before


def test_a_need_with_three_wrong_fields_is_refused_with_every_message_at_once(
    client: Any, session: Session, fiji: User
) -> None:
    sign_in(client, session, fiji)
    page = client.get("/needs").text
    before = counts(session)
    response = client.post(
        "/needs",
        data={
            "csrf_token": csrf_token(page),
            "area": "catering",
            "track": "police",
            "priority": "urgent",
            "description": "Field kitchens",
            "wanted_by": "next July",
        },
    )
    assert response.status_code == 400
    assert alerts(response.text) == [
        "Choose an area from the list.",
        "Choose a priority from the list.",
        "Give the date the need is wanted by as a date, or leave it empty.",
    ]
    assert soup(response.text).find("textarea", attrs={"name": "description"}).get_text() == "Field kitchens"
    assert soup(response.text).find("input", attrs={"name": "wanted_by"})["value"] == "next July"
    assert counts(session) == before


def test_a_focal_point_naming_another_state_in_the_form_is_refused(client: Any, session: Session, samoa: User) -> None:
    sign_in(client, session, samoa)
    page = client.get("/needs").text
    before = counts(session)
    response = client.post(
        "/needs",
        data={
            "csrf_token": csrf_token(page),
            "state": "FJ",
            "area": "training",
            "track": "police",
            "priority": "high",
            "description": "Taken over",
        },
    )
    assert response.status_code == 403
    assert counts(session) == before


# A need and its status


def test_a_need_page_shows_its_support_and_offers_the_status_form_only_to_its_state(
    client: Any, session: Session, fiji: User, samoa: User, observer: User
) -> None:
    need = record_need(session, fiji)
    record_support(session, observer, need=str(need.id))
    sign_in(client, session, observer)
    page = client.get(f"/needs/{need.id}").text
    assert [row[0] for row in table_rows(page, "1 support record")] == [DPO]
    assert soup(page).find("form", attrs={"action": f"/needs/{need.id}/status"}) is None
    assert soup(page).select_one(f"a[href='/support/new?need={need.id}']") is not None
    sign_in(client, session, samoa)
    assert soup(client.get(f"/needs/{need.id}").text).find("form", attrs={"action": f"/needs/{need.id}/status"}) is None
    sign_in(client, session, fiji)
    page = client.get(f"/needs/{need.id}").text
    assert_every_field_labelled(page)
    response = client.post(
        f"/needs/{need.id}/status",
        data={"csrf_token": csrf_token(page), "status": "partly_met", "note": "Australia trains ten"},
    )
    assert response.status_code == 303
    shown = client.get(response.headers["location"]).text
    assert notice(shown) == "The need's status has been changed."
    assert soup(shown).find(id="need-status").get_text(strip=True) == "Partly met"
    assert [row[1:] for row in table_rows(shown, "Every change")] == [
        ["Open", "Fiji Focal Point", ""],
        ["Partly met", "Fiji Focal Point", "Australia trains ten"],
    ]


def test_a_focal_point_guessing_another_states_ids_is_refused_and_nothing_changes(
    client: Any, session: Session, fiji: User, samoa: User
) -> None:
    need = record_need(session, fiji)
    support = record_support(session, fiji, recipient_state="TO")
    sign_in(client, session, samoa)
    token = csrf_token(client.get("/needs").text)
    before, was = counts(session), statuses(session)
    for path, status in ((f"/needs/{need.id}/status", "withdrawn"), (f"/support/{support.id}/status", "cancelled")):
        response = client.post(path, data={"csrf_token": token, "status": status})
        assert response.status_code == 403, path
    assert client.post("/needs/999999/status", data={"csrf_token": token, "status": "met"}).status_code == 404
    assert counts(session) == before and statuses(session) == was


# Recording support


def support_fields(**changes: Any) -> dict[str, Any]:
    fields = {
        "recipient_state": "FJ",
        "area": "training",
        "track": "police",
        "starts_on": day(30),
        "ends_on": day(40),
        "kind": "trainers",
        "description": "Two SAAT instructors",
    }
    fields.update(changes)
    return fields


def test_the_support_form_is_filled_in_from_the_need(client: Any, session: Session, fiji: User, observer: User) -> None:
    need = record_need(session, fiji, area="logistics", track="civilian")
    sign_in(client, session, observer)
    page = client.get(f"/support/new?need={need.id}").text
    assert (
        selected(page, "need"),
        selected(page, "recipient_state"),
        selected(page, "area"),
        selected(page, "track"),
    ) == (str(need.id), "FJ", "logistics", "civilian")
    assert DPO in soup(page).find("fieldset").get_text()
    assert soup(page).find("select", attrs={"name": "provider_state"}) is None
    assert_every_field_labelled(page)
    assert client.get("/support/new?need=999999").status_code == 404


def test_support_recorded_through_the_form_is_shown_and_its_provider_moves_it_along(
    client: Any, session: Session, observer: User, fiji: User
) -> None:
    sign_in(client, session, observer)
    page = client.get("/support/new").text
    response = client.post(
        "/support",
        data={"csrf_token": csrf_token(page), **support_fields(kind="funding", amount="25000", currency="aud")},
    )
    assert response.status_code == 303
    support = session.get(Support, int(response.headers["location"].split("/")[2].split("?")[0]))
    assert support is not None and (support.provider_organisation, support.amount, support.currency) == (
        DPO,
        25000,
        "AUD",
    )
    shown = client.get(response.headers["location"]).text
    assert notice(shown) == "The support has been recorded."
    assert soup(shown).find(id="provider").get_text(strip=True) == DPO
    assert_every_field_labelled(shown)
    moved = client.post(
        f"/support/{support.id}/status",
        data={"csrf_token": csrf_token(shown), "status": "under_way", "note": "Funds transferred"},
    )
    assert moved.status_code == 303
    after = client.get(moved.headers["location"]).text
    assert soup(after).find(id="support-status").get_text(strip=True) == "Under way"
    assert [row[1:] for row in table_rows(after, "Every change")] == [
        ["Planned", "DPO Observer", ""],
        ["Under way", "DPO Observer", "Funds transferred"],
    ]
    sign_in(client, session, fiji)
    assert (
        soup(client.get(f"/support/{support.id}").text).find("form", attrs={"action": f"/support/{support.id}/status"})
        is None
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"starts_on": day(40), "ends_on": day(30)}, "The support period ends before it starts."),
        ({"kind": "funding", "amount": "", "currency": "AUD"}, "Funding needs a whole amount from 1 to 2,000,000,000."),
        (
            {"kind": "funding", "amount": "5000", "currency": "PACIFIC"},
            "Give the currency as its three-letter ISO 4217 code, such as AUD, NZD, USD, EUR or JPY.",
        ),
        (
            {"kind": "funding", "amount": "5000", "currency": "QQQ"},
            "Give the currency as its three-letter ISO 4217 code, such as AUD, NZD, USD, EUR or JPY.",
        ),
        ({"area": "catering"}, "Choose an area from the list."),
        ({"recipient_state": "WS", "need": "fiji"}, "The need chosen is not a need of the receiving state."),
    ],
)
def test_bad_support_is_refused_with_a_clear_message_the_form_kept_and_nothing_saved(
    client: Any, session: Session, fiji: User, observer: User, change: dict[str, str], message: str
) -> None:
    fiji_need = record_need(session, fiji)
    if change.get("need") == "fiji":
        change = {**change, "need": str(fiji_need.id)}
    sign_in(client, session, observer)
    page = client.get("/support/new").text
    before = counts(session)
    response = client.post("/support", data={"csrf_token": csrf_token(page), **support_fields(**change)})
    assert response.status_code == 400
    assert alert(response.text) == message
    assert soup(response.text).find("textarea", attrs={"name": "description"}).get_text() == "Two SAAT instructors"
    assert counts(session) == before


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "The support period ends before it starts."),
        ("fr", "La période d’appui se termine avant de commencer."),
    ],
)
def test_support_ending_before_it_starts_is_explained_in_the_users_language(
    client: Any, session: Session, language: str, message: str
) -> None:
    sign_in(client, session, focal_point(session, "NC", language=language))
    page = client.get("/support/new").text
    before = counts(session)
    response = client.post(
        "/support", data={"csrf_token": csrf_token(page), **support_fields(starts_on=day(40), ends_on=day(30))}
    )
    assert response.status_code == 400
    assert alert(response.text) == message
    assert counts(session) == before


def test_support_with_three_wrong_fields_is_refused_with_every_message_and_no_rule_on_a_day_not_read(
    client: Any, session: Session, observer: User
) -> None:
    sign_in(client, session, observer)
    page = client.get("/support/new").text
    before = counts(session)
    response = client.post(
        "/support",
        data={
            "csrf_token": csrf_token(page),
            **support_fields(area="catering", starts_on="soon", ends_on=day(10), kind="gift"),
        },
    )
    assert response.status_code == 400
    assert alerts(response.text) == [
        "Choose an area from the list.",
        "Give the first day of the support as a date.",
        "Choose a kind of support from the list.",
    ]
    assert soup(response.text).find("textarea", attrs={"name": "description"}).get_text() == "Two SAAT instructors"
    assert soup(response.text).find("input", attrs={"name": "starts_on"})["value"] == "soon"
    assert counts(session) == before


def test_support_with_two_wrong_fields_is_refused_with_both_messages_in_french(
    client: Any, session: Session, fiji: User
) -> None:
    fiji_need = record_need(session, fiji)
    sign_in(client, session, focal_point(session, "NC", language="fr"))
    page = client.get("/support/new").text
    before = counts(session)
    response = client.post(
        "/support",
        data={
            "csrf_token": csrf_token(page),
            **support_fields(recipient_state="WS", need=str(fiji_need.id), starts_on=day(40), ends_on=day(30)),
        },
    )
    assert response.status_code == 400
    assert alerts(response.text) == [
        "Le besoin choisi n’est pas un besoin de l’État bénéficiaire.",
        "La période d’appui se termine avant de commencer.",
    ]
    assert counts(session) == before


def test_the_accounts_french_is_chosen_over_the_language_cookie(client: Any, session: Session, observer: User) -> None:
    """An account always holds English or French, so the language cookie speaks only for visitors not signed in."""
    observer.language = "fr"
    session.add(observer)
    session.commit()
    sign_in(client, session, observer)
    client.cookies.set("prcn_lang", "en")
    page = client.get("/support/new").text
    response = client.post(
        "/support",
        data={"csrf_token": csrf_token(page), **support_fields(kind="funding", amount="100", currency="ZZZ")},
    )
    assert alert(response.text) == (
        "Indiquez la devise par son code ISO 4217 à trois lettres, par exemple AUD, NZD, USD, EUR ou JPY."
    )


# The deconfliction view


def test_the_deconfliction_page_and_its_fragment_show_overlaps_and_gaps_with_links(
    client: Any, session: Session, coordinator: User
) -> None:
    first = record_support(session, coordinator, provider_state="AU", starts_on=day(10), ends_on=day(20))
    second = record_support(session, coordinator, provider_organisation=DPO, starts_on=day(20), ends_on=day(30))
    gap = past_due(session, record_need(session, coordinator, state="WS", area="logistics", priority="high"))
    sign_in(client, session, coordinator)
    full = client.get("/deconfliction")
    assert full.status_code == 200
    page = soup(full.text)
    assert page.select_one("nav a[href='/deconfliction']") is not None
    assert_every_field_labelled(full.text)
    headers = [th.get_text(strip=True) for th in page.select("table thead th[scope=col]")]
    assert headers[0] == "State" and "Deconfliction support" not in headers and len(headers) == 9
    rows = {row[0]: row for row in table_rows(full.text, "Open or partly met")}
    assert set(rows) == {"Fiji", "Samoa"}
    fiji_training = page.select_one("tbody tr td[data-area=training]")
    assert "Overlap" in fiji_training.get_text() and "Australia" in fiji_training.get_text()
    overlaps = page.find(id="overlaps")
    assert {a["href"] for a in overlaps.find_all("a")} == {f"/support/{first.id}", f"/support/{second.id}"}
    assert page.find(id="gaps").find("a")["href"] == f"/needs/{gap.id}"

    fragment = client.get("/deconfliction?subregion=polynesia", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    part = soup(fragment.text)
    assert part.find("html") is None and part.find("form") is None
    assert [row[0] for row in table_rows(fragment.text, "Open or partly met")] == ["Samoa"]
    assert part.find(id="overlaps").find("a") is None
    assert part.select_one("a[href^='/deconfliction.csv']")["href"] == "/deconfliction.csv?subregion=polynesia"


def test_a_cell_names_each_provider_once_and_links_its_latest_record(
    client: Any, session: Session, coordinator: User
) -> None:
    australia = [
        record_support(session, coordinator, provider_state="AU", starts_on=day(10 * n), ends_on=day(10 * n + 5))
        for n in range(3)
    ]
    record_support(session, coordinator, provider_organisation=DPO, starts_on=day(12), ends_on=day(14))
    latest_dpo = record_support(session, coordinator, provider_organisation=f" {DPO.lower()}", starts_on=day(40))
    sign_in(client, session, coordinator)

    training = soup(client.get("/deconfliction").text).select_one("tbody tr td[data-area=training]")

    entries = [" ".join(item.get_text(" ", strip=True).split()) for item in training.select("ul.providers li")]
    assert entries == [
        "Australia (3 records; the link opens the latest)",
        f"{DPO.lower()} (2 records; the link opens the latest)",
    ]
    assert [a["href"] for a in training.select("ul.providers a")] == [
        f"/support/{australia[-1].id}",
        f"/support/{latest_dpo.id}",
    ]
    assert "Overlap" in training.get_text()  # the organisation's first record and Australia's second share days


def test_the_gaps_are_listed_a_page_at_a_time_by_state_then_date_and_the_next_page_keeps_the_filters(
    client: Any, session: Session, coordinator: User
) -> None:
    samoa = [
        past_due(session, record_need(session, coordinator, state="WS", area="logistics"), days_ago=2 + n % 7)
        for n in range(paging.PAGE_SIZE - 20)
    ]
    fiji = [
        past_due(session, record_need(session, coordinator, state="FJ", area="equipment"), days_ago=2 + n % 5)
        for n in range(25)
    ]
    expected = [need.id for need in sorted(fiji, key=lambda n: (n.wanted_by, n.id))] + [
        need.id for need in sorted(samoa, key=lambda n: (n.wanted_by, n.id))
    ]
    sign_in(client, session, coordinator)

    def gaps(address: str) -> tuple[list[int], dict[str, str]]:
        section = soup(client.get(address).text).find(id="gaps")
        listed = [int(a["href"].rsplit("/", 1)[1]) for a in section.select("ul a[href^='/needs/']")]
        return listed, {a.get_text(strip=True): a["href"] for a in section.select("nav.pager a")}

    first, links = gaps("/deconfliction?track=police")
    assert first == expected[: paging.PAGE_SIZE]
    assert links == {"Next gaps": "/deconfliction?track=police&gaps_page=2#gaps"}
    second, links = gaps(links["Next gaps"])
    assert second == expected[paging.PAGE_SIZE :]
    assert links == {"Previous gaps": "/deconfliction?track=police#gaps"}
    past_the_end, links = gaps("/deconfliction?gaps_page=9")
    assert past_the_end == [] and "Previous gaps" in links
    assert cell_marks(client, "Fiji", "equipment") == cell_marks(client, "Samoa", "logistics") == "Gap"


def cell_marks(client: Any, state_name: str, area: str) -> str:
    """The badges of a state's cell in an area of the deconfliction table."""
    page = soup(client.get("/deconfliction").text)
    [row] = [row for row in page.select("tbody tr") if row.th.get_text(strip=True) == state_name]
    return " ".join(badge.get_text(strip=True) for badge in row.select(f"td[data-area={area}] .badge"))


@pytest.mark.parametrize("role", ["focal_point", "observer"])
def test_the_deconfliction_view_is_for_coordinators_and_admins(client: Any, session: Session, role: str) -> None:
    sign_in(client, session, make_user(session, role=role, password=None, organisation="Donor"))
    assert client.get("/deconfliction").status_code == 403
    assert client.get("/deconfliction.csv").status_code == 403
    assert soup(client.get("/needs").text).select_one("nav a[href='/deconfliction']") is None


# Query counts


def test_needs_and_deconfliction_pages_run_as_many_queries_for_twelve_states_as_for_two(
    client: Any, session: Session, coordinator: User
) -> None:
    codes = ["FJ", "WS", "TO", "VU", "SB", "PG", "KI", "NR", "TV", "CK", "NC", "PF"]
    providers = ["AU", "NZ", "JP", "KR"]

    def add(states: list[str]) -> None:
        for number, code in enumerate(states):
            need = record_need(
                session, coordinator, state=code, area="training", priority="high", description=f"Need {code}"
            )
            past_due(session, record_need(session, coordinator, state=code, area="logistics"))
            record_support(
                session, coordinator, provider_state=providers[number % 4], recipient_state=code, need=str(need.id)
            )
            record_support(session, coordinator, provider_organisation=DPO, recipient_state=code)

    def queries() -> dict[str, int]:
        found = {}
        for label, path, headers in (
            ("needs", "/needs", {}),
            ("filtered needs", "/needs?track=police", {}),
            ("needs fragment", "/needs", {"HX-Request": "true"}),
            ("deconfliction", "/deconfliction", {}),
            ("deconfliction fragment", "/deconfliction?track=police", {"HX-Request": "true"}),
            ("csv", "/deconfliction.csv", {}),
        ):
            with QueryLog(get_engine()) as log:
                response = client.get(path, headers=headers)
            assert response.status_code == 200, path
            found[label] = len(log)
        return found

    sign_in(client, session, coordinator)
    add(codes[:2])
    few = queries()
    add(codes[2:])
    many = queries()
    assert len(table_rows(client.get("/deconfliction").text, "Open or partly met")) == 12
    assert len(service.deconfliction(session, get_settings()).overlaps) == 12
    assert many == few


def test_the_needs_list_shows_a_page_at_a_time_and_its_next_link_keeps_the_filters_down_to_the_last_need(
    client: Any, session: Session, coordinator: User
) -> None:
    for number in range(paging.PAGE_SIZE):
        record_need(session, coordinator, description=f"Pressing need {number}")
    record_need(session, coordinator, priority="low", description="The least pressing need")
    record_need(session, coordinator, priority="low", track="military", description="A military need")
    sign_in(client, session, coordinator)
    with QueryLog(get_engine()) as first_log:
        first = client.get("/needs", params={"state": "FJ", "track": "police"})
    assert len(table_rows(first.text, "50 needs")) == paging.PAGE_SIZE
    assert "The least pressing need" not in first.text
    following = soup(first.text).select_one("#needs a[rel=next]")
    assert following is not None and following.get_text(strip=True) == "Next page"
    with QueryLog(get_engine()) as second_log:
        second = client.get(str(following["href"]))
    assert len(second_log) == len(first_log)  # a later page costs what the first does
    assert [row[0] for row in table_rows(second.text, "1 need")] == ["The least pressing need"]
    assert selected(second.text, "track") == "police" and selected(second.text, "state") == "FJ"
    assert soup(second.text).select_one("#needs a[rel=next]") is None
    back = soup(second.text).select_one("#needs a[rel=prev]")
    assert back is not None and back["href"] == "/needs?state=FJ&track=police"


def test_the_deconfliction_view_lists_gaps_a_page_at_a_time_and_the_next_link_keeps_the_filters(
    client: Any, session: Session, coordinator: User
) -> None:
    for number in range(paging.PAGE_SIZE + 1):
        past_due(
            session,
            record_need(session, coordinator, description=f"Gap {number}"),
            days_ago=paging.PAGE_SIZE + 2 - number,
        )
    past_due(session, record_need(session, coordinator, track="military", description="A military gap"))
    sign_in(client, session, coordinator)
    first = soup(client.get("/deconfliction", params={"track": "police"}).text)
    assert len(first.select("#gaps li")) == paging.PAGE_SIZE
    gaps = first.select_one("#gaps")
    assert gaps is not None and "Gap 50" not in gaps.get_text()
    following = first.select_one("#gaps a[rel=next]")
    assert following is not None and following.get_text(strip=True) == "Next gaps"
    assert str(following["href"]).endswith("#gaps") and "track=police" in str(following["href"])
    second = soup(client.get(str(following["href"])).text)
    assert [li.get_text(" ", strip=True).endswith("Gap 50") for li in second.select("#gaps li")] == [True]
    assert second.select_one("#gaps a[rel=next]") is None and second.select_one("#gaps a[rel=prev]") is not None


# The form token


def test_every_capacity_form_refuses_a_post_without_its_token(client: Any, session: Session, fiji: User) -> None:
    need = record_need(session, fiji)
    support = record_support(session, fiji)
    sign_in(client, session, fiji)
    before, was = counts(session), statuses(session)
    for path, fields in (
        ("/needs", {"area": "training", "track": "police", "priority": "low", "description": "No token"}),
        (f"/needs/{need.id}/status", {"status": "met"}),
        ("/support", support_fields()),
        (f"/support/{support.id}/status", {"status": "cancelled"}),
    ):
        response = client.post(path, data=fields)
        assert response.status_code == 403, path
        assert alert(response.text) == FORM_EXPIRED
        wrong = client.post(path, data={**fields, "csrf_token": "not-the-token"})
        assert wrong.status_code == 403, path
    assert counts(session) == before and statuses(session) == was
