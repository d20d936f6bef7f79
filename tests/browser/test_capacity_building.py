"""Capacity building in the browser: a focal point records its state's needs, two partners record support that
overlaps, the coordinator sees the overlap and the gap and convenes a coalition with a meeting and an action item,
and a lesson learned shared in French is found with and without its accents."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, Response, expect
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.members.models import MemberState
from tests.support.browser import Account, Watch, assert_accessible, sign_in, submit
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser

NewContext = Callable[..., tuple[BrowserContext, Watch]]
MakeAccount = Callable[..., Account]
# Each run works for its own state, so the two runs (and other tests) never share a row of the deconfliction view.
RUNS = [
    pytest.param(True, "TV", "Tuvalu", id="with-javascript"),
    pytest.param(False, "NR", "Nauru", id="without-javascript"),
]


def state_id(live_engine: Engine, code: str) -> int:
    with Session(live_engine) as db:
        state = db.exec(select(MemberState).where(MemberState.code == code)).one()
        assert state.id is not None
        return state.id


def signed_in_page(new_context: NewContext, account: Account, *, javascript: bool) -> Page:
    context, _ = new_context(java_script_enabled=javascript)
    page = context.new_page()
    sign_in(page, account.email, account.password)
    return page


def check(page: Page, axe_source: str, javascript: bool) -> None:
    """axe-core needs timers, which do not run without JavaScript: pages are checked in the run with it."""
    if javascript:
        assert_accessible(page, axe_source)


def record_need(page: Page, *, area: str, description: str, wanted_by: date, priority: str = "High") -> int:
    """Fills the needs page's form; returns the id of the need's page it leads to."""
    form = page.get_by_role("region", name="Record a need")
    form.get_by_label("Area", exact=True).select_option(label=area)
    form.get_by_label("Track", exact=True).select_option(label="Police")
    form.get_by_label("Priority", exact=True).select_option(label=priority)
    form.get_by_label("Description", exact=True).fill(description)
    form.get_by_label("Wanted by (optional)", exact=True).fill(wanted_by.isoformat())
    response = submit(page, "Record the need")
    assert response is not None and response.status == 200
    expect(page.get_by_role("status")).to_have_text("The need has been recorded.")
    return int(urlsplit(page.url).path.rsplit("/", 1)[1])


def fill_period(page: Page, first: date, last: date) -> None:
    page.get_by_label("First day", exact=True).fill(first.isoformat())
    page.get_by_label("Last day", exact=True).fill(last.isoformat())


def cell(table: Locator, state: str, area: str) -> Locator:
    """The deconfliction table's cell of a state (its row header) under an area (its column header)."""
    headers = [text.strip() for text in table.get_by_role("columnheader").all_inner_texts()]
    row = table.get_by_role("row").filter(has=table.page.get_by_role("rowheader", name=state, exact=True))
    return row.locator("th, td").nth(headers.index(area))


def swap_of(path: str) -> Callable[[Response], bool]:
    """Whether a response is htmx's answer to a GET of `path` (the part of the page it swaps in)."""
    return lambda r: urlsplit(r.url).path == path and r.request.headers.get("hx-request") == "true"


@pytest.mark.parametrize(("javascript", "code", "state"), RUNS)
def test_partners_support_a_states_needs_the_coordinator_sees_overlap_and_gap_and_convenes_a_coalition(
    javascript: bool,
    code: str,
    state: str,
    new_context: NewContext,
    make_account: MakeAccount,
    server: LiveServer,
    live_engine: Engine,
    axe_source: str,
) -> None:
    tag = uuid.uuid4().hex[:8]
    today = date.today()
    overdue_need = f"Radios for the outer-island police posts {tag}"
    future_need = f"Public order management training for 20 officers {tag}"
    organisation = f"Pacific Policing Initiative {tag}"

    # The state's focal point records two needs: one already past its date, one for later.
    focal = make_account("focal_point", member_state_id=state_id(live_engine, code))
    desk = signed_in_page(new_context, focal, javascript=javascript)
    desk.locator("header.site").get_by_role("link", name="Needs", exact=True).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Capacity-building needs")
    expect(desk.get_by_role("region", name="Record a need")).to_contain_text(f"For {state}")
    check(desk, axe_source, javascript)
    overdue_id = record_need(desk, area="Equipment", description=overdue_need, wanted_by=today - timedelta(days=30))
    desk.get_by_role("link", name="All needs", exact=True).click()
    future_id = record_need(desk, area="Training", description=future_need, wanted_by=today + timedelta(days=60))
    desk.get_by_role("link", name="All needs", exact=True).click()
    if javascript:
        with desk.expect_response(swap_of("/needs")):
            desk.get_by_label("State", exact=True).select_option(label=state)
        expect(desk).to_have_url(re.compile(rf"/needs\?state={code}&"))
    else:
        desk.get_by_label("State", exact=True).select_option(label=state)
        submit(desk, "Filter")
    assert parse_qs(urlsplit(desk.url).query)["state"] == [code]
    mine = desk.locator("#needs").get_by_role("row").filter(has_text=tag)
    expect(mine).to_have_count(2)
    expect(mine.filter(has_text=future_need).get_by_role("cell")).to_contain_text(
        [state, "Training", "Police", "High", re.compile(".+"), "Open", "0"]
    )
    check(desk, axe_source, javascript)

    # Australia supports the later need from its page; a partner organisation supports the same area at an
    # overlapping time, without naming the need.
    australia = make_account("focal_point", member_state_id=state_id(live_engine, "AU"))
    partner = signed_in_page(new_context, australia, javascript=javascript)
    partner.goto(f"/needs/{future_id}")
    expect(partner.get_by_role("heading", level=1)).to_have_text(f"Need of {state}")
    partner.get_by_role("link", name="Record support for this need", exact=True).click()
    expect(partner.get_by_role("heading", level=1)).to_have_text("Record support")
    expect(partner.get_by_role("group", name="Provided by")).to_have_text("Provided by Australia")
    expect(partner.get_by_label("Receiving state", exact=True)).to_have_value(code)
    expect(partner.get_by_label("Need it answers (optional)", exact=True)).to_have_value(str(future_id))
    check(partner, axe_source, javascript)
    fill_period(partner, today + timedelta(days=30), today + timedelta(days=120))
    partner.get_by_label("Kind of support", exact=True).select_option(label="Trainers")
    partner.get_by_label("Description", exact=True).fill("Two public order instructors from the AFP")
    submit(partner, "Record the support")
    expect(partner.get_by_role("status")).to_have_text("The support has been recorded.")
    expect(partner.locator("#provider")).to_have_text("Australia")
    expect(partner.get_by_role("link", name=future_need, exact=True)).to_be_visible()

    observer = make_account("observer", organisation=organisation)
    other = signed_in_page(new_context, observer, javascript=javascript)
    other.goto("/needs")
    other.get_by_role("link", name="Record support", exact=True).click()
    expect(other.get_by_role("group", name="Provided by")).to_contain_text(organisation)
    other.get_by_label("Receiving state", exact=True).select_option(label=state)
    other.get_by_label("Area", exact=True).select_option(label="Training")
    other.get_by_label("Track", exact=True).select_option(label="Police")
    fill_period(other, today + timedelta(days=90), today + timedelta(days=180))
    other.get_by_label("Kind of support", exact=True).select_option(label="Places on courses")
    submit(other, "Record the support")
    expect(other.get_by_role("status")).to_have_text("The support has been recorded.")
    expect(other.locator("#provider")).to_have_text(organisation)
    check(other, axe_source, javascript)

    # The coordinator sees the overlap in training and the overdue need left without support.
    coordinator = make_account("coordinator")
    office = signed_in_page(new_context, coordinator, javascript=javascript)
    office.locator("header.site").get_by_role("link", name="Deconfliction", exact=True).click()
    expect(office.get_by_role("heading", level=1)).to_have_text("Deconfliction")
    table = office.get_by_role("table", name=re.compile("^Open or partly met needs"))
    training = cell(table, state, "Training")
    expect(training.get_by_role("link", name="Australia", exact=True)).to_be_visible()
    expect(training.get_by_role("link", name=organisation, exact=True)).to_be_visible()
    expect(training.get_by_text("Overlap", exact=True)).to_be_visible()
    expect(training).to_contain_text(re.compile(r"\d+ open needs? \(High\)"))
    equipment = cell(table, state, "Equipment")
    expect(equipment.get_by_text("Gap", exact=True)).to_be_visible()
    expect(equipment.get_by_text("Overlap", exact=True)).to_have_count(0)
    overlap = office.get_by_role("region", name="Overlaps").get_by_role("listitem").filter(has_text=organisation)
    expect(overlap).to_have_count(1)
    expect(overlap).to_contain_text(f"{state}, Training: Australia and {organisation} from ")
    expect(overlap.get_by_role("link", name="Australia", exact=True)).to_be_visible()
    gap = office.get_by_role("region", name="Gaps").get_by_role("listitem").filter(has_text=overdue_need)
    expect(gap).to_have_count(1)
    expect(gap.get_by_role("link")).to_have_text(re.compile(f"^{state}, Equipment: wanted by .+, no support$"))
    expect(gap.get_by_role("link")).to_have_attribute("href", f"/needs/{overdue_id}")
    expect(
        office.get_by_role("region", name="Gaps").get_by_role("listitem").filter(has_text=future_need)
    ).to_have_count(0)
    check(office, axe_source, javascript)

    # Narrowed to the organisation's support, the view keeps only the state it supports.
    if javascript:
        office.evaluate("() => { window.stillTheSamePage = true; }")
        with office.expect_response(swap_of("/deconfliction")) as answer:
            office.get_by_label("Provided by", exact=True).select_option(label=organisation)
        assert answer.value.status == 200
        expect(office).to_have_url(re.compile(r"/deconfliction\?.*provider="))
        assert office.evaluate("() => window.stillTheSamePage === true"), "the filter reloaded the whole page"
    else:
        office.get_by_label("Provided by", exact=True).select_option(label=organisation)
        submit(office, "Filter")
    assert parse_qs(urlsplit(office.url).query)["provider"] == [organisation]
    expect(table.get_by_role("rowheader")).to_have_text([state])
    check(office, axe_source, javascript)

    with office.expect_download() as download:
        office.get_by_role("link", name="Export this view (CSV)", exact=True).click()
    path = download.value.path()
    assert download.value.suggested_filename == "deconfliction.csv"
    rows = {
        (row["State"], row["Area"]): row
        for row in csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8-sig")))
    }
    assert {place for place, _area in rows} == {state}, "the CSV does not follow the view's filter"
    assert rows[(state, "Training")]["Overlap"] == "Yes"
    assert {"Australia", organisation} <= set(rows[(state, "Training")]["Providers"].split("; "))
    assert int(rows[(state, "Training")]["Open needs"]) >= 1
    assert rows[(state, "Equipment")]["Gap"] == "Yes"
    assert rows[(state, "Equipment")]["Overlap"] == ""

    # The coordinator convenes a coalition for the state with Australia, and takes the training need up.
    title = f"{state} public order coalition {tag}"
    office.get_by_role("navigation", name="Main").get_by_role("link", name="Coalitions", exact=True).click()
    expect(office.get_by_role("heading", level=1)).to_have_text("Country coalitions")
    convene = office.get_by_role("region", name="Convene a coalition")
    convene.get_by_label("State the coalition supports", exact=True).select_option(label=state)
    convene.get_by_label("Title", exact=True).fill(title)
    convene.get_by_label("Purpose", exact=True).fill("Coordinate public order support before the deployment.")
    convene.get_by_role("group", name="Partner states").get_by_label("Australia", exact=True).check()
    submit(office, "Convene the coalition")
    expect(office.get_by_role("status")).to_have_text("The coalition has been convened. Add the needs it works on.")
    expect(office.get_by_role("heading", level=1)).to_have_text(title)
    coalition_url = urlsplit(office.url).path
    expect(office.get_by_role("region", name="Partners").get_by_role("listitem")).to_contain_text(["Australia"])
    office.get_by_label(f"Open need of {state}", exact=True).select_option(label=f"Training: {future_need}")
    submit(office, "Add to the scope")
    expect(office.get_by_role("status")).to_have_text("The need is now in the coalition's scope.")
    expect(
        office.get_by_role("region", name="Needs in scope").get_by_role("link", name=future_need, exact=True)
    ).to_be_visible()

    # A virtual coalition meeting, and an action item for Australia raised at it.
    meeting_title = f"Coalition meeting {tag}"
    meetings = office.get_by_role("region", name="Meetings")
    meetings.get_by_text("Schedule a coalition meeting", exact=True).click()
    meetings.get_by_label("Title", exact=True).fill(meeting_title)
    meetings.get_by_label("Date at the host", exact=True).fill((today + timedelta(days=21)).isoformat())
    meetings.get_by_label("Start time at the host", exact=True).fill("10:00")
    meetings.get_by_label("Duration in minutes", exact=True).fill("90")
    meetings.get_by_label("Host's time zone", exact=True).select_option("Pacific/Fiji")
    meetings.get_by_label("Format", exact=True).select_option(label="Virtual")
    meetings.get_by_label("Link (virtual or hybrid)", exact=True).fill(f"https://meet.example.org/coalition-{tag}")
    submit(office, "Schedule the meeting")
    expect(office.get_by_role("status")).to_have_text(
        "The meeting has been scheduled; invite its participants from the meeting's page."
    )
    expect(meetings.get_by_role("link", name=meeting_title, exact=True)).to_be_visible()

    action = f"Confirm the instructors' travel dates {tag}"
    actions = office.get_by_role("region", name="Open action items")
    raised_at = actions.get_by_label("Meeting that raised it", exact=True)
    raised_at.select_option(raised_at.locator("option").filter(has_text=meeting_title).get_attribute("value"))
    actions.get_by_label("Owner state", exact=True).select_option(label="Australia")
    actions.get_by_label("Action", exact=True).fill(action)
    actions.get_by_label("Due date", exact=True).fill((today + timedelta(days=45)).isoformat())
    submit(office, "Add the action item")
    expect(office.get_by_role("status")).to_have_text("The action item has been added.")
    item = actions.get_by_role("row").filter(has_text=action)
    expect(item.get_by_role("cell")).to_contain_text([action, "Australia", re.compile(".+"), "Open", meeting_title])
    check(office, axe_source, javascript)

    # The state's focal point, who leads the coalition, records progress and opens the meeting it is invited to.
    desk.get_by_role("navigation", name="Main").get_by_role("link", name="Coalitions", exact=True).click()
    desk.get_by_role("link", name=title, exact=True).click()
    expect(desk).to_have_url(f"{server.url}{coalition_url}")
    expect(
        desk.get_by_role("region", name="Open action items").get_by_role("row").filter(has_text=action)
    ).to_have_count(1)
    progress = f"Australia has confirmed two instructors for the first course {tag}"
    history = desk.get_by_role("region", name="Progress history")
    history.get_by_label("What has moved on since the last entry", exact=True).fill(progress)
    submit(desk, "Record the progress")
    expect(desk.get_by_role("status")).to_have_text("The progress has been recorded.")
    expect(history.get_by_role("listitem").filter(has_text=progress)).to_contain_text(focal.display_name)
    expect(history.get_by_role("listitem").filter(has_text="Coalition convened.")).to_have_count(1)
    check(desk, axe_source, javascript)
    with desk.expect_navigation() as opened:
        desk.get_by_role("region", name="Meetings").get_by_role("link", name=meeting_title, exact=True).click()
    assert opened.value is not None and opened.value.status == 200
    expect(desk.get_by_role("heading", level=1)).to_have_text(meeting_title)


@pytest.mark.parametrize(("javascript", "code", "state"), RUNS)
def test_a_lesson_learned_shared_in_french_is_found_with_and_without_accents(
    javascript: bool,
    code: str,
    state: str,
    new_context: NewContext,
    make_account: MakeAccount,
    server: LiveServer,
    live_engine: Engine,
    axe_source: str,
    tmp_path: Path,
) -> None:
    tag = uuid.uuid4().hex[:8]
    title = f"Retour d'expérience de la mission {tag}"
    text = f"Leçons apprises du déploiement des policiers.\nRéférence {tag}\n"
    upload = tmp_path / f"retour-{tag}.txt"
    upload.write_text(text, encoding="utf-8")

    # A focal point shares the lessons learned of its police deployment, written in French.
    author = make_account("focal_point", member_state_id=state_id(live_engine, code))
    desk = signed_in_page(new_context, author, javascript=javascript)
    desk.locator("header.site").get_by_role("link", name="Library", exact=True).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Knowledge library")
    check(desk, axe_source, javascript)
    desk.get_by_role("link", name="Add a document", exact=True).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Add a document to the library")
    desk.get_by_label("Title", exact=True).fill(title)
    desk.get_by_label("Kind of document", exact=True).select_option(label="Lessons learned")
    desk.get_by_label("Language of the document", exact=True).select_option(label="French")
    desk.get_by_role("group", name="Who may read it").get_by_label("All members", exact=True).check()
    desk.get_by_label("Tags", exact=True).fill("police, public order")
    desk.get_by_label("File", exact=True).set_input_files(upload)
    check(desk, axe_source, javascript)
    response = submit(desk, "Add to the library")
    assert response is not None and response.status == 200
    expect(desk.get_by_role("status")).to_have_text("The document has been added to the library.")
    expect(desk.get_by_role("heading", level=1)).to_have_text(title)
    doc_url = urlsplit(desk.url).path

    # A French-speaking focal point of Vanuatu looks for it, with the accent and without.
    reader = make_account("focal_point", member_state_id=state_id(live_engine, "VU"), language="fr")
    page = signed_in_page(new_context, reader, javascript=javascript)
    page.goto("/library")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bibliothèque de connaissances")
    found = page.locator("#results").get_by_role("article").filter(has=page.get_by_role("link", name=title, exact=True))
    if javascript:
        page.evaluate("() => { window.stillTheSamePage = true; }")
    for words in ("leçons", "lecons", "DÉPLOIEMENT"):
        page.get_by_label("Mots recherchés", exact=True).fill(words)
        if javascript:
            with page.expect_response(swap_of("/library")) as answer:
                page.get_by_role("button", name="Rechercher", exact=True).click()
            assert answer.value.status == 200
            assert page.evaluate("() => window.stillTheSamePage === true"), "the search reloaded the whole page"
        else:
            submit(page, "Rechercher")
        # htmx pushes the address after the swap, so wait for this search's words rather than any search.
        page.wait_for_function("words => new URLSearchParams(location.search).get('q') === words", arg=words)
        assert urlsplit(page.url).path == "/library"
        expect(found).to_have_count(1)
        expect(found).to_contain_text("Enseignements tirés · Français · Tous les membres")
        expect(found).to_contain_text(f"Partagé par {state}")
        expect(page.get_by_label("Mots recherchés", exact=True)).to_have_value(words)
    check(page, axe_source, javascript)

    page.get_by_label("Mots recherchés", exact=True).fill(f"gendarmerie {tag}")
    if javascript:
        with page.expect_response(swap_of("/library")):
            page.get_by_role("button", name="Rechercher", exact=True).click()
    else:
        submit(page, "Rechercher")
    expect(page.locator("#results")).to_contain_text("Aucun document ne correspond.")
    expect(found).to_have_count(0)

    # The document's page, and its file as it was sent.
    page.goto("/library?q=lecons")
    found.get_by_role("link", name=title, exact=True).click()
    expect(page).to_have_url(f"{server.url}{doc_url}")
    with page.expect_download() as download:
        page.get_by_role("link", name=f"Télécharger {upload.name}", exact=True).click()
    assert Path(download.value.path()).read_text(encoding="utf-8") == text
    check(page, axe_source, javascript)
