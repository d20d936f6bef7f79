"""The library's rules through the service: who adds documents, who reads which access level (guessed ids too),
the Chatham House rule, dormant bodies, upload checks that keep nothing when they refuse, and withdrawing."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from app.audit.models import AuditEntry
from app.auth.models import User
from app.core.config import Settings, get_settings
from app.core.errors import DomainError, Forbidden, NotFound
from app.governance import service as governance
from app.library import service
from app.library.models import LibraryDocument
from tests.factories import state
from tests.library.conftest import EXE, PDF, PNG, add, document_count, ids, index_count, kept

# Who adds documents


def test_a_focal_point_shares_for_their_state(session: Session, settings: Settings, fiji: User) -> None:
    document = add(session, settings, fiji, title="  Lessons from UNMISS  ", tags="Gender, Civil protection, gender")
    assert document.author_state_id == state(session, "FJ").id
    assert document.uploaded_by == fiji.id
    assert document.title == "Lessons from UNMISS"
    assert document.tags == "gender civil-protection"
    assert document.media_type == "application/pdf"
    assert kept(settings, PDF)
    entry = session.exec(
        select(AuditEntry).where(AuditEntry.entity == "library_document", AuditEntry.entity_id == str(document.id))
    ).one()
    assert entry.action == "upload" and entry.actor_id == fiji.id


def test_coordinators_and_admins_share_without_a_state(
    session: Session, settings: Settings, coordinator: User, admin: User
) -> None:
    assert add(session, settings, coordinator).author_state_id is None
    assert add(session, settings, admin).author_state_id is None


def test_an_observer_may_not_add_documents(session: Session, settings: Settings, observer: User) -> None:
    before = document_count(session)
    with pytest.raises(Forbidden):
        add(session, settings, observer, content=PDF + b"observer")
    assert document_count(session) == before
    assert not kept(settings, PDF + b"observer")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": " "}, "Give the document a title of at most %(length)s characters."),
        ({"title": "x" * 201}, "Give the document a title of at most %(length)s characters."),
        ({"kind": "novel"}, "Choose the kind of document from the list."),
        ({"language": "de"}, "Choose the language of the document: English or French."),
        ({"access": "secret"}, "Choose who may read the document from the list."),
        ({"summary": "x" * 5001}, "The summary may have at most %(length)s characters."),
        (
            {"tags": ",".join(f"t{n}" for n in range(11))},
            "Give at most %(count)s tags, separated by commas, each of at most %(length)s characters.",
        ),
        ({"access": "body"}, "A document for the members of one body needs that body: choose it."),
        (
            {"access": "body", "body_key": "pif"},
            "Only the network's own bodies have members here: choose one of them, or another access level.",
        ),
        ({"body_key": "nowhere"}, "Choose a body that is active under the current governance option."),
        ({"body_key": "adhoc-network"}, "Choose a body that is active under the current governance option."),
        (
            {"working_group_id": 999_999},
            "Choose a working group of a body that is active under the current governance option.",
        ),
    ],
)
def test_a_form_mistake_is_explained_and_nothing_is_kept(
    session: Session, settings: Settings, fiji: User, changes: dict[str, object], message: str
) -> None:
    content = PDF + repr(changes).encode()
    before = document_count(session), index_count(session)
    with pytest.raises(DomainError) as refused:
        add(session, settings, fiji, content=content, **changes)
    session.rollback()
    assert refused.value.message == message
    assert (document_count(session), index_count(session)) == before
    assert not kept(settings, content)


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("picture.pdf", PNG),  # a PNG named .pdf
        ("report.pdf", EXE),  # a program named .pdf
        ("minutes.docx", PDF),  # a PDF named .docx
        ("notes.txt", PDF),
        ("photo.png", b"just some text"),
    ],
)
def test_a_file_whose_extension_lies_is_refused_with_415(
    session: Session, settings: Settings, fiji: User, filename: str, content: bytes
) -> None:
    before = document_count(session), index_count(session)
    with pytest.raises(DomainError) as refused:
        add(session, settings, fiji, filename=filename, content=content)
    session.rollback()
    assert refused.value.status_code == 415
    assert refused.value.message.startswith("The file is named %(extension)s but its content is of another kind.")
    assert refused.value.params == {"extension": "." + filename.rsplit(".", 1)[1]}
    assert (document_count(session), index_count(session)) == before
    assert not kept(settings, content)


def test_a_program_under_its_own_name_is_not_accepted(session: Session, settings: Settings, fiji: User) -> None:
    with pytest.raises(DomainError) as refused:
        add(session, settings, fiji, filename="setup.exe", content=EXE)
    assert refused.value.status_code == 415
    assert refused.value.message.startswith("This kind of file is not accepted")
    assert not kept(settings, EXE)


def test_an_empty_or_oversized_file_is_refused(
    session: Session, settings: Settings, fiji: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRCN_UPLOAD_MAX_BYTES", "2048")
    get_settings.cache_clear()
    small = get_settings()
    before = document_count(session), index_count(session)
    big = PDF + b"0" * 2048
    with pytest.raises(DomainError) as refused:
        add(session, small, fiji, content=big)
    assert (refused.value.status_code, refused.value.message) == (413, "The file is larger than %(limit)s.")
    with pytest.raises(DomainError) as refused:
        add(session, small, fiji, content=b"")
    assert refused.value.message == "The file is empty."
    session.rollback()
    assert (document_count(session), index_count(session)) == before
    assert not kept(small, big)


def test_a_document_of_a_working_group_belongs_to_its_body(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch, coordinator: User
) -> None:
    monkeypatch.setenv("PRCN_GOVERNANCE_OPTION", "adhoc")
    get_settings.cache_clear()
    adhoc = get_settings()
    fiji = state(session, "FJ")
    group = governance.create_working_group(
        session,
        adhoc,
        user=coordinator,
        body_key="adhoc-network",
        name="Police deployment",
        track="police",
        lead_state_id=fiji.id,
        mandate="",
        member_state_ids=[],
    )
    document = add(session, adhoc, coordinator, working_group_id=group.id, access="body")
    network = governance.get_body(session, adhoc, "adhoc-network", user=coordinator)
    assert document.body_id == network.id
    with pytest.raises(DomainError, match="belongs to another body"):
        add(session, adhoc, coordinator, working_group_id=group.id, body_key="sme")


# Who reads what


@pytest.fixture
def levels(
    session: Session, settings: Settings, fiji: User, coordinator: User, monkeypatch: pytest.MonkeyPatch
) -> dict[str, LibraryDocument]:
    """One document per access level, two for the SME body, and one of a body dormant under the current option."""
    found = {
        "public": add(session, settings, fiji, access="public"),
        "members": add(session, settings, fiji, access="members"),
        "body": add(session, settings, fiji, access="body", body_key="sme"),
        "chatham": add(session, settings, fiji, access="chatham_house"),
        "chatham_body": add(session, settings, fiji, access="chatham_house", body_key="sme"),
    }
    monkeypatch.setenv("PRCN_GOVERNANCE_OPTION", "adhoc")
    get_settings.cache_clear()
    found["dormant"] = add(session, get_settings(), coordinator, access="members", body_key="adhoc-network")
    monkeypatch.delenv("PRCN_GOVERNANCE_OPTION")
    get_settings.cache_clear()
    return found


READERS = {
    "anonymous": {"public"},
    "observer": {"public"},
    "fiji": {"public", "members", "body", "chatham", "chatham_body"},
    "samoa": {"public", "members", "chatham"},
    "coordinator": {"public", "members", "body", "chatham", "chatham_body"},
    "admin": {"public", "members", "body", "chatham", "chatham_body", "dormant"},
}


@pytest.mark.parametrize("reader", sorted(READERS))
def test_each_role_reads_exactly_its_documents(
    request: pytest.FixtureRequest, session: Session, levels: dict[str, LibraryDocument], reader: str
) -> None:
    settings = get_settings()
    user = None if reader == "anonymous" else request.getfixturevalue(reader)
    expected = {levels[name].id for name in READERS[reader]}
    assert ids(service.visible_documents(session, settings, user=user)) == expected
    for name, document in levels.items():
        if name in READERS[reader]:
            assert service.get_document(session, settings, document.id, user=user) == document  # type: ignore[arg-type]
        else:
            with pytest.raises(NotFound):
                service.get_document(session, settings, document.id, user=user)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        service.get_document(session, settings, max(d.id for d in levels.values()) + 1000, user=user)  # type: ignore[type-var, operator]


def test_a_state_that_leaves_the_body_no_longer_reads_its_documents(
    session: Session, levels: dict[str, LibraryDocument], fiji: User, coordinator: User
) -> None:
    settings = get_settings()
    sme = governance.get_body(session, settings, "sme", user=coordinator)
    governance.request_membership(session, settings, user=fiji, body=sme, state=state(session, "FJ"), action="withdraw")
    pending = governance.pending_requests(session, settings)[0][0]
    governance.decide(session, settings, user=coordinator, event_id=pending.id, accept=True)  # type: ignore[arg-type]
    found = ids(service.visible_documents(session, settings, user=fiji))
    assert levels["body"].id not in found and levels["chatham_body"].id not in found
    assert levels["members"].id in found


def test_public_documents_are_the_public_ones_newest_first(
    session: Session, settings: Settings, levels: dict[str, LibraryDocument]
) -> None:
    assert service.public_documents(session, settings, limit=5) == [levels["public"]]
    assert service.public_documents(session, settings, limit=0) == []


def test_chatham_house_hides_the_attribution_from_all_but_coordinators_and_admins(
    session: Session, levels: dict[str, LibraryDocument], fiji: User, samoa: User, coordinator: User, admin: User
) -> None:
    chatham = levels["chatham"]
    for reader in (fiji, samoa):
        row = service.document_row(session, chatham, user=reader)
        assert (row.attributed, row.author_state, row.uploader) == (False, None, None)
    for reader in (coordinator, admin):
        row = service.document_row(session, chatham, user=reader)
        assert row.attributed and row.author_state == state(session, "FJ") and row.uploader == "Mere Fiji"
    listed = service.visible_documents(session, get_settings(), user=samoa)
    assert all(
        row.author_state is None and row.uploader is None for row in listed if row.document.access == "chatham_house"
    )
    attributed = service.document_row(session, levels["members"], user=samoa)
    assert attributed.author_state == state(session, "FJ") and attributed.uploader == "Mere Fiji"


# Withdrawing


def test_the_uploader_withdraws_and_the_document_is_hidden_not_deleted(
    session: Session, settings: Settings, fiji: User, admin: User
) -> None:
    document = add(session, settings, fiji, title="Outdated roster", access="public")
    before = index_count(session)
    service.withdraw(session, user=fiji, document=document)
    assert document.withdrawn_at is not None and document.withdrawn_by == fiji.id
    for reader in (None, fiji, admin):
        assert document.id not in ids(service.visible_documents(session, settings, user=reader))
        with pytest.raises(NotFound):
            service.get_document(session, settings, document.id, user=reader)  # type: ignore[arg-type]
    assert ids(service.visible_documents(session, settings, user=admin, query="roster")) == set()
    assert session.get(LibraryDocument, document.id) is not None
    if session.get_bind().dialect.name == "sqlite":
        assert index_count(session) == before - 1
        assert (
            session.execute(
                text("SELECT count(*) FROM library_search WHERE rowid = :id"), {"id": document.id}
            ).scalar_one()
            == 0
        )
    assert session.exec(
        select(AuditEntry).where(AuditEntry.action == "withdraw", AuditEntry.entity_id == str(document.id))
    ).one()


def test_only_the_uploader_coordinators_and_admins_withdraw(
    session: Session, settings: Settings, fiji: User, coordinator: User
) -> None:
    document = add(session, settings, fiji)
    other_fijian = make_fijian(session)
    with pytest.raises(Forbidden):
        service.withdraw(session, user=other_fijian, document=document)
    assert document.withdrawn_at is None
    service.withdraw(session, user=coordinator, document=document)
    assert document.withdrawn_by == coordinator.id


def make_fijian(session: Session) -> User:
    from tests.library.conftest import person

    return person(session, "focal_point", "FJ", display_name="Another Fijian")
