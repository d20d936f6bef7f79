"""The library through HTTP: the search page and its htmx fragment, the upload form (multipart, with its token)
and its refusals in the reader's language, public documents without signing in, 404 for what one may not read,
downloads as attachments, withdrawing, and a list whose query count does not grow with the documents."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from app.auth.models import User
from app.core import paging
from app.core.config import Settings, get_settings
from app.core.db import get_engine
from app.library.models import LibraryDocument
from tests.factories import QueryLog, alerts, csrf_token, sign_in, soup
from tests.library.conftest import PDF, PNG, add, document_count, index_count, kept, person

FORM_EXPIRED = "This form has expired or did not come from this portal. Reload the page and try again."


def alert(html: str) -> str:
    found = soup(html).find(attrs={"role": "alert"})
    assert found is not None, "the page shows no error message"
    return " ".join(found.get_text(" ").split())


def listed(html: str) -> set[int]:
    """The ids of the documents a library page lists."""
    return {int(str(article["id"]).removeprefix("document-")) for article in soup(html).select("article[id]")}


def form_fields(client: Any, **changes: str) -> dict[str, str]:
    fields = {
        "csrf_token": csrf_token(client.get("/library/new").text),
        "title": "Lessons from the rotation",
        "kind": "lesson_learned",
        "language": "en",
        "tags": "rotation",
        "access": "members",
        "body": "",
        "working_group": "",
        "summary": "What went well.",
    }
    fields.update(changes)
    return fields


# The search page


def test_the_library_page_has_a_labelled_search_form_and_lists_what_the_user_may_read(
    client: Any, session: Session, settings: Settings, fiji: User, samoa: User
) -> None:
    readable = add(session, settings, fiji, title="Lessons on medical evacuation")
    hidden = add(session, settings, fiji, title="SME body note", access="body", body_key="sme")
    sign_in(client, session, samoa)
    response = client.get("/library")
    assert response.status_code == 200
    page = soup(response.text)
    assert page.h1.get_text(strip=True) == "Knowledge library"
    form = page.find("form", attrs={"action": "/library", "method": "get"})
    assert form is not None and form["data-hx-get"] == "/library" and form["data-hx-target"] == "#results"
    for field in form.find_all(["input", "select"]):
        assert page.find("label", attrs={"for": field["id"]}) is not None, f"{field['name']} has no label"
    assert {field["name"] for field in form.find_all(["input", "select"])} == {"q", "kind", "language", "tag"}
    assert listed(response.text) == {readable.id}
    assert hidden.id not in listed(response.text)
    assert page.find("a", attrs={"href": "/library/new"}) is not None


def test_the_search_answers_a_full_page_and_an_htmx_fragment(
    client: Any, session: Session, settings: Settings, fiji: User
) -> None:
    french = add(session, settings, fiji, title="Leçons apprises du déploiement", language="fr", kind="lesson_learned")
    add(session, settings, fiji, title="Guidance on logistics")
    sign_in(client, session, fiji)
    full = client.get("/library", params={"q": "deploiement"})
    assert full.status_code == 200
    assert soup(full.text).find("html") is not None
    assert soup(full.text).find("input", attrs={"name": "q"})["value"] == "deploiement"
    assert listed(full.text) == {french.id}
    fragment = client.get("/library", params={"q": "deploiement"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    part = soup(fragment.text)
    assert part.find("html") is None and part.find("h1") is None and part.find("form") is None
    assert listed(fragment.text) == {french.id}
    assert " ".join(part.find(attrs={"role": "status"}).get_text().split()) == "1 document"


def test_the_nav_links_to_the_library_for_signed_in_users(client: Any, session: Session, fiji: User) -> None:
    assert soup(client.get("/").text).find("a", attrs={"href": "/library"}) is None
    sign_in(client, session, fiji)
    nav = soup(client.get("/library").text).find("nav")
    assert nav.find("a", attrs={"href": "/library"}).get_text(strip=True) == "Library"


@pytest.mark.parametrize(
    "typed", ['"', "*", "NEAR(a b)", "OR", "') OR 1=1 --", "a:* & !b", "'; DROP TABLE library_document; --"]
)
def test_operators_and_injection_neither_fail_nor_leak(
    client: Any, session: Session, settings: Settings, fiji: User, samoa: User, typed: str
) -> None:
    hidden = add(session, settings, fiji, title="Or a b drop table body", access="body", body_key="sme")
    before = document_count(session)
    sign_in(client, session, samoa)
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get("/library", params={"q": typed}, headers=headers)
        assert response.status_code in (200, 400)
        assert hidden.id not in listed(response.text)
        if response.status_code == 400:
            assert alert(response.text) == "Type at least one word to search for, in letters or digits."
    assert document_count(session) == before
    assert session.get(LibraryDocument, hidden.id) is not None


def test_a_search_too_long_is_refused_in_french(client: Any, session: Session) -> None:
    """Needs the French catalogue (/tmp/fr_library.po merged)."""
    sign_in(client, session, person(session, "focal_point", "WF", language="fr"))
    response = client.get("/library", params={"q": " ".join(f"mot{n}" for n in range(13))})
    assert response.status_code == 400
    assert alert(response.text) == "Votre recherche peut comporter au plus 12 mots et 200 caractères."


# Adding a document


def test_the_upload_form_is_multipart_with_a_token_and_labels(client: Any, session: Session, fiji: User) -> None:
    sign_in(client, session, fiji)
    page = soup(client.get("/library/new").text)
    form = page.find("form", attrs={"action": "/library"})
    assert form["method"] == "post" and form["enctype"] == "multipart/form-data"
    assert form.find("input", attrs={"name": "csrf_token"})["value"]
    assert form.find("input", attrs={"name": "file", "type": "file"}) is not None
    for field in form.find_all(["input", "select", "textarea"]):
        if field.get("type") in ("hidden", "radio"):
            continue
        assert page.find("label", attrs={"for": field["id"]}) is not None, f"{field['name']} has no label"
    radios = form.find_all("input", attrs={"type": "radio", "name": "access"})
    assert {radio["value"] for radio in radios} == {"public", "members", "body", "chatham_house"}
    assert all(radio.find_parent("label") is not None for radio in radios)
    assert form.find("fieldset").find("legend").get_text(strip=True) == "Who may read it"


def test_a_focal_point_adds_a_document_and_is_sent_to_it(
    client: Any, session: Session, settings: Settings, fiji: User
) -> None:
    sign_in(client, session, fiji)
    response = client.post(
        "/library", data=form_fields(client), files={"file": ("rotation.pdf", PDF + b"rotation", "application/pdf")}
    )
    assert response.status_code == 303
    document = session.exec(select(LibraryDocument).where(LibraryDocument.title == "Lessons from the rotation")).one()
    assert response.headers["location"] == f"/library/{document.id}?notice=uploaded"
    page = soup(client.get(response.headers["location"]).text)
    assert page.find(attrs={"role": "status"}).get_text(strip=True) == "The document has been added to the library."
    assert page.h1.get_text(strip=True) == "Lessons from the rotation"
    assert page.find("a", attrs={"href": f"/library/{document.id}/file"}) is not None
    assert kept(settings, PDF + b"rotation")


@pytest.mark.parametrize(
    ("filename", "content", "status", "message"),
    [
        (
            "picture.pdf",
            PNG,
            415,
            "The file is named .pdf but its content is of another kind. Send the file under the "
            "extension of what it really is.",
        ),
        ("empty.pdf", b"", 400, "The file is empty."),
        ("large.pdf", PDF + b"0" * 2048, 413, "The file is larger than 2.0 kB."),
    ],
)
def test_a_refused_file_comes_back_with_the_form_and_nothing_is_kept(
    client: Any,
    session: Session,
    settings: Settings,
    fiji: User,
    monkeypatch: pytest.MonkeyPatch,
    filename: str,
    content: bytes,
    status: int,
    message: str,
) -> None:
    monkeypatch.setenv("PRCN_UPLOAD_MAX_BYTES", "2048")
    get_settings.cache_clear()
    sign_in(client, session, fiji)
    before = document_count(session), index_count(session)
    response = client.post(
        "/library",
        data=form_fields(client, title="Refused file"),
        files={"file": (filename, content, "application/pdf")},
    )
    assert response.status_code == status
    assert alert(response.text) == message
    assert soup(response.text).find("input", attrs={"name": "title"})["value"] == "Refused file"
    assert (document_count(session), index_count(session)) == before
    assert not kept(get_settings(), content)


def test_a_document_with_four_wrong_fields_and_an_empty_file_is_refused_with_every_message_at_once(
    client: Any, session: Session, settings: Settings, fiji: User
) -> None:
    sign_in(client, session, fiji)
    before = document_count(session), index_count(session)
    response = client.post(
        "/library",
        data=form_fields(client, title="", kind="rumour", access="everyone", tags=",".join(f"t{n}" for n in range(11))),
        files={"file": ("empty.pdf", b"", "application/pdf")},
    )
    assert response.status_code == 400
    assert alerts(response.text) == [
        "Give the document a title of at most 200 characters.",
        "Choose the kind of document from the list.",
        "Choose who may read the document from the list.",
        "Give at most 10 tags, separated by commas, each of at most 40 characters.",
        "The file is empty.",
    ]
    assert soup(response.text).find("textarea", attrs={"name": "summary"}).get_text() == "What went well."
    assert (document_count(session), index_count(session)) == before


def test_a_document_with_a_wrong_title_and_a_lying_file_is_refused_with_both_messages_in_french(
    client: Any, session: Session, settings: Settings
) -> None:
    sign_in(client, session, person(session, "focal_point", "NC", language="fr"))
    before = document_count(session)
    response = client.post(
        "/library",
        data=form_fields(client, title="x" * 201, language="de"),
        files={"file": ("photo.pdf", PNG + b"nc-two", "application/pdf")},
    )
    assert response.status_code == 400
    assert alerts(response.text) == [
        "Donnez au document un titre de 200 caractères au plus.",
        "Choisissez la langue du document : anglais ou français.",
        "Le fichier porte l’extension .pdf, mais son contenu est d’un autre type. "
        "Envoyez-le avec l’extension qui correspond à son contenu réel.",
    ]
    assert document_count(session) == before
    assert not kept(settings, PNG + b"nc-two")


def test_a_lying_extension_is_refused_in_french(client: Any, session: Session, settings: Settings) -> None:
    """Needs the French catalogue (/tmp/fr_library.po merged)."""
    sign_in(client, session, person(session, "focal_point", "NC", language="fr"))
    before = document_count(session)
    response = client.post(
        "/library", data=form_fields(client), files={"file": ("photo.pdf", PNG + b"nc", "application/pdf")}
    )
    assert response.status_code == 415
    assert alert(response.text) == (
        "Le fichier porte l’extension .pdf, mais son contenu est d’un autre type. "
        "Envoyez-le avec l’extension qui correspond à son contenu réel."
    )
    assert document_count(session) == before


def test_an_observer_may_not_open_the_form_nor_post(client: Any, session: Session, observer: User) -> None:
    sign_in(client, session, observer)
    assert client.get("/library/new").status_code == 403
    token = csrf_token(client.get("/library").text)
    before = document_count(session)
    response = client.post(
        "/library",
        data={
            "csrf_token": token,
            "title": "Partner note",
            "kind": "guidance_note",
            "language": "en",
            "access": "members",
        },
        files={"file": ("note.pdf", PDF, "application/pdf")},
    )
    assert response.status_code == 403
    assert document_count(session) == before


def test_posting_without_the_form_token_is_refused(
    client: Any, session: Session, settings: Settings, fiji: User
) -> None:
    sign_in(client, session, fiji)
    fields = form_fields(client)
    del fields["csrf_token"]
    before = document_count(session)
    response = client.post("/library", data=fields, files={"file": ("a.pdf", PDF + b"nocsrf", "application/pdf")})
    assert response.status_code == 403
    assert alert(response.text) == FORM_EXPIRED
    assert document_count(session) == before
    assert not kept(settings, PDF + b"nocsrf")
    document = add(session, settings, fiji)
    assert client.post(f"/library/{document.id}/withdraw").status_code == 403
    session.refresh(document)
    assert document.withdrawn_at is None


# Reading a document


def test_a_public_document_and_its_file_are_read_without_signing_in(
    client: Any, session: Session, settings: Settings, coordinator: User
) -> None:
    document = add(
        session,
        settings,
        coordinator,
        title="Public summary",
        kind="public_summary",
        access="public",
        filename="Leçons apprises 2026.pdf",
        content=PDF + b"public",
    )
    page = client.get(f"/library/{document.id}")
    assert page.status_code == 200
    assert soup(page.text).h1.get_text(strip=True) == "Public summary"
    download = client.get(f"/library/{document.id}/file")
    assert download.status_code == 200
    assert download.content == PDF + b"public"
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"Lecons apprises 2026.pdf\"; filename*=UTF-8''Le%C3%A7ons%20apprises%202026.pdf"
    )


def test_a_plain_ascii_name_needs_no_rfc_5987_form(
    client: Any, session: Session, settings: Settings, fiji: User
) -> None:
    document = add(session, settings, fiji, filename="notes.txt", content=b"Plain notes")
    sign_in(client, session, fiji)
    download = client.get(f"/library/{document.id}/file")
    assert download.headers["content-disposition"] == 'attachment; filename="notes.txt"'
    assert download.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("reader", ["anonymous", "observer", "samoa"])
def test_what_one_may_not_read_is_not_found_guessed_ids_too(
    request: pytest.FixtureRequest, client: Any, session: Session, settings: Settings, fiji: User, reader: str
) -> None:
    members = add(session, settings, fiji, access="members")
    body = add(session, settings, fiji, access="body", body_key="sme")
    if reader != "anonymous":
        sign_in(client, session, request.getfixturevalue(reader))
    hidden = [body.id] if reader == "samoa" else [members.id, body.id]
    for document_id in [*hidden, body.id + 1000]:  # type: ignore[operator]
        for path in (f"/library/{document_id}", f"/library/{document_id}/file"):
            response = client.get(path)
            assert response.status_code == 404, path
            assert "location" not in response.headers


def test_chatham_house_attribution_is_hidden_from_focal_points(
    client: Any, session: Session, settings: Settings, fiji: User, samoa: User, coordinator: User
) -> None:
    document = add(session, settings, fiji, title="Frank lessons", access="chatham_house")
    sign_in(client, session, samoa)
    for html in (client.get(f"/library/{document.id}").text, client.get("/library").text):
        text = " ".join(soup(html).find("main").get_text(" ").split())
        assert "Not attributed: shared under the Chatham House rule." in text
        assert "Mere Fiji" not in text and "Fiji" not in text
    sign_in(client, session, coordinator)
    text = " ".join(soup(client.get(f"/library/{document.id}").text).find("main").get_text(" ").split())
    assert "Shared by Fiji (Mere Fiji)" in text


# Withdrawing


def test_the_uploader_withdraws_from_the_page(client: Any, session: Session, settings: Settings, fiji: User) -> None:
    document = add(session, settings, fiji, title="Old roster")
    sign_in(client, session, fiji)
    page = soup(client.get(f"/library/{document.id}").text)
    form = page.find("form", attrs={"action": f"/library/{document.id}/withdraw"})
    assert form is not None and form["method"] == "post"
    response = client.post(
        form["action"], data={"csrf_token": form.find("input", attrs={"name": "csrf_token"})["value"]}
    )
    assert response.status_code == 303 and response.headers["location"] == "/library?notice=withdrawn"
    after = client.get(response.headers["location"])
    assert document.id not in listed(after.text)
    assert client.get(f"/library/{document.id}").status_code == 404
    session.refresh(document)
    assert document.withdrawn_at is not None


def test_another_focal_point_sees_no_withdraw_button_and_is_refused(
    client: Any, session: Session, settings: Settings, fiji: User, samoa: User
) -> None:
    document = add(session, settings, fiji)
    sign_in(client, session, samoa)
    page = client.get(f"/library/{document.id}")
    assert soup(page.text).find("form", attrs={"action": f"/library/{document.id}/withdraw"}) is None
    response = client.post(f"/library/{document.id}/withdraw", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 403
    session.refresh(document)
    assert document.withdrawn_at is None


# Query counts


def test_the_library_page_runs_as_many_queries_for_2_as_for_12_documents(
    client: Any, session: Session, settings: Settings, fiji: User, coordinator: User
) -> None:
    def count() -> int:
        with QueryLog(get_engine()) as log:
            assert client.get("/library").status_code == 200
        return len(log)

    sign_in(client, session, fiji)
    add(session, settings, fiji, access="body", body_key="sme")
    add(session, settings, coordinator, access="chatham_house")
    with_two = count()
    for number in range(10):
        add(
            session,
            settings,
            fiji if number % 2 else coordinator,
            title=f"Note {number}",
            access=("public", "members", "chatham_house")[number % 3],
        )
    assert len(listed(client.get("/library").text)) == 12
    assert count() == with_two


def test_the_library_shows_a_page_at_a_time_and_its_older_link_keeps_the_filter_down_to_the_oldest_document(
    client: Any, session: Session, settings: Settings, fiji: User
) -> None:
    oldest = add(session, settings, fiji, title="Le plus ancien", language="fr")
    for number in range(paging.PAGE_SIZE):
        add(session, settings, fiji, title=f"Note {number}", language="fr")
    for number in range(3):
        add(session, settings, fiji, title=f"English note {number}")
    sign_in(client, session, fiji)
    with QueryLog(get_engine()) as first_log:
        first = client.get("/library", params={"language": "fr"})
    assert len(listed(first.text)) == paging.PAGE_SIZE and oldest.id not in listed(first.text)
    older = soup(first.text).select_one("a[rel=next]")
    assert older is not None and older.get_text(strip=True) == "Older"
    assert "language=fr" in str(older["href"])
    with QueryLog(get_engine()) as second_log:
        second = client.get(str(older["href"]))
    assert len(second_log) == len(first_log)  # a later page costs what the first does
    assert listed(second.text) == {oldest.id}
    assert soup(second.text).select_one("a[rel=next]") is None
    assert soup(second.text).select_one("a[rel=prev]") is not None
