"""Search: the tokens both engines index, the queries built from what users type, and one corpus that must give
exactly the same documents on SQLite (FTS5) and PostgreSQL (full-text search) — this suite runs on both."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text
from sqlmodel import Session

from app.auth.models import User
from app.core.config import Settings
from app.library import search, service
from app.library.models import LibraryDocument
from tests.library.conftest import add, document_count, docx, ids, odt

# Tokenising


def test_fold_lowers_and_strips_accents_and_ligatures() -> None:
    assert search.fold("Leçons") == "lecons"
    assert search.fold("DÉPLOIEMENT") == "deploiement"
    assert search.fold("Œuvre") == "oeuvre"
    assert search.fold("Cæsar") == "caesar"


def test_index_has_each_word_and_its_stem_in_the_documents_language() -> None:
    tokens = search.index_tokens("Leçons apprises : la formation des Casques bleus, l'œuvre", "fr").split()
    assert {"lecons", "lecon", "apprises", "formation", "format", "casques", "bleus", "l", "oeuvre"} <= set(tokens)
    assert len(tokens) == len(set(tokens))
    english = search.index_tokens("Lessons learned from deployments", "en").split()
    assert {"lessons", "lesson", "learned", "learn", "deployments", "deploy"} <= set(english)


def test_index_tokens_are_plain_lower_case_ascii() -> None:
    tokens = search.index_tokens("Ünïcödé naïve café_au-lait 2026 Ζεύς " + "x" * 80, "fr").split()
    assert all(re.fullmatch(r"[a-z0-9]+", token) for token in tokens)
    assert {"unicode", "naive", "cafe", "au", "lait", "2026"} <= set(tokens)
    assert "x" * 80 not in tokens


def test_a_query_word_is_a_prefix_or_its_english_or_french_stem() -> None:
    terms = search.parse_query("Formations deployments")
    assert terms[0].prefix == "formations" and "format" in terms[0].stems
    assert terms[1].prefix == "deployments" and "deploy" in terms[1].stems
    assert search.fts5_match(terms).startswith('("formations"* OR ')
    assert " AND " in search.fts5_match(terms)
    assert search.tsquery(terms).startswith("(formations:* | ")
    assert " & " in search.tsquery(terms)


@pytest.mark.parametrize("typed", ['"', "*", "-- ; ()", "   ", "Ζεύς", ":*"])
def test_a_query_without_a_usable_word_is_refused(typed: str) -> None:
    with pytest.raises(search.SearchRefused) as refused:
        search.parse_query(typed)
    assert refused.value.message == "Type at least one word to search for, in letters or digits."


def test_a_query_too_long_is_refused() -> None:
    with pytest.raises(search.SearchRefused, match="at most"):
        search.parse_query(" ".join(f"word{n}" for n in range(13)))
    with pytest.raises(search.SearchRefused, match="at most"):
        search.parse_query("a" * 201)
    assert len(search.parse_query(" ".join(f"word{n}" for n in range(12)))) == 12


@pytest.mark.parametrize(
    "typed",
    [
        '"peace',
        "peace*",
        "NEAR(peace keeping)",
        "peace OR keeping",
        "') OR 1=1 --",
        "a:* & !b",
        "'; DROP TABLE library_document; --",
        "tokens:peace",
        "peace AND NOT keeping",
        "^peace",
    ],
)
def test_no_operator_or_quote_from_the_user_reaches_the_engine(typed: str) -> None:
    terms = search.parse_query(typed)
    # Only quoted tokens, the prefix star, parentheses and the operators we put in.
    assert re.fullmatch(
        r'\("[a-z0-9]+"\*( OR "[a-z0-9]+")*\)( AND \("[a-z0-9]+"\*( OR "[a-z0-9]+")*\))*', search.fts5_match(terms)
    )
    assert re.fullmatch(
        r"\([a-z0-9]+:\*( \| [a-z0-9]+)*\)( & \([a-z0-9]+:\*( \| [a-z0-9]+)*\))*", search.tsquery(terms)
    )


# One corpus, the same answers on both engines


@pytest.fixture
def corpus(session: Session, settings: Settings, fiji: User, coordinator: User) -> dict[str, LibraryDocument]:
    return {
        "lecons": add(
            session,
            settings,
            fiji,
            title="Leçons apprises du déploiement au Soudan du Sud",
            kind="lesson_learned",
            language="fr",
            tags="déploiement, formation",
            summary="La formation des Casques bleus avant le déploiement.",
        ),
        "guidance": add(
            session,
            settings,
            coordinator,
            title="Guidance on pre-deployment training",
            summary="How to prepare police officers for deployments.",
            tags="police",
        ),
        "update": add(
            session,
            settings,
            fiji,
            title="Written update from Fiji",
            kind="written_update",
            summary="Progress on the women, peace and security agenda.",
        ),
        "formations": add(
            session,
            settings,
            coordinator,
            title="Formations de préparation au SAAT",
            kind="training_material",
            language="fr",
            summary="Supports de cours pour les formateurs de la police.",
        ),
        "public": add(
            session,
            settings,
            coordinator,
            title="Public summary of the SME meeting",
            kind="public_summary",
            access="public",
            summary="Peacekeeping cooperation in 2026.",
        ),
    }


CASES = [
    ("leçons", {"lecons"}),
    ("lecons", {"lecons"}),  # without the cedilla
    ("LEÇON", {"lecons"}),  # the French stem: the singular finds the plural
    ("déploiement", {"lecons"}),
    ("deploiement", {"lecons"}),  # without accents
    ("formations", {"lecons", "formations"}),  # French stem: "formations" finds "formation"
    ("formation", {"lecons", "formations"}),  # prefix of "formations", stem of "formateurs"
    ("deployment", {"guidance"}),  # English stem and prefix: "deployments", "pre-deployment"
    ("trained", {"guidance"}),  # English stem: "trained" finds "training"
    ("police", {"guidance", "formations"}),
    ("police deployments", {"guidance"}),  # words are ANDed
    ("casques bleus", {"lecons"}),
    ("prépar", {"guidance", "formations"}),  # a prefix: "prepare", "préparation"
    ("women security", {"update"}),
    ("peacekeeping", {"public"}),
    ("2026", {"public"}),
    ("soudan police", set()),
    ("submarine", set()),
]


@pytest.mark.parametrize(("typed", "expected"), CASES)
def test_the_same_corpus_gives_exactly_these_documents(
    session: Session,
    settings: Settings,
    corpus: dict[str, LibraryDocument],
    coordinator: User,
    typed: str,
    expected: set[str],
) -> None:
    found = ids(service.visible_documents(session, settings, user=coordinator, query=typed))
    assert found == {corpus[name].id for name in expected}


def test_results_are_ordered_newest_first_then_by_id(
    session: Session, settings: Settings, corpus: dict[str, LibraryDocument], coordinator: User
) -> None:
    rows = service.visible_documents(session, settings, user=coordinator, query="police")
    documents = [row.document for row in rows]
    assert documents == sorted(documents, key=lambda d: (d.uploaded_at, d.id), reverse=True)


def test_search_combines_with_the_filters(
    session: Session, settings: Settings, corpus: dict[str, LibraryDocument], coordinator: User
) -> None:
    def found(**filters: str) -> set[int]:
        return ids(service.visible_documents(session, settings, user=coordinator, **filters))

    assert found(query="police", language="fr") == {corpus["formations"].id}
    assert found(query="formation", kind="lesson_learned") == {corpus["lecons"].id}
    assert found(tag="Déploiement") == {corpus["lecons"].id}
    assert found(tag="deploi") == set()  # a tag matches whole
    assert found(kind="public_summary") == {corpus["public"].id}


def test_words_inside_word_opendocument_and_text_files_are_found(
    session: Session, settings: Settings, fiji: User
) -> None:
    word = add(
        session,
        settings,
        fiji,
        title="Rapport",
        language="fr",
        filename="rapport.docx",
        content=docx(["Le dé", "ploiement"], ["des observateurs militaires"]),
    )
    writer = add(
        session,
        settings,
        fiji,
        title="Notes",
        filename="notes.odt",
        content=odt("Logistics of the rotation", "Medical evacuation"),
    )
    plain = add(session, settings, fiji, title="Plain", filename="plain.txt", content=b"Maritime surveillance exercise")

    def found(typed: str) -> set[int]:
        return ids(service.visible_documents(session, settings, user=fiji, query=typed))

    assert found("deploiement militaires") == {word.id}  # a word split across two runs is whole again
    assert found("evacuation logistics") == {writer.id}
    assert found("surveillance") == {plain.id}
    assert found("observateurs medical") == set()  # paragraphs of different files do not mix


def test_a_word_file_declaring_entities_is_indexed_by_its_title_only(
    session: Session, settings: Settings, fiji: User
) -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "bomb"><!ENTITY b "&a;&a;&a;&a;">]><d>&b;</d>',
        )
    document = add(session, settings, fiji, title="Suspicious", filename="odd.docx", content=buffer.getvalue())
    assert "bomb" not in document.search_tokens.split()
    assert ids(service.visible_documents(session, settings, user=fiji, query="suspicious")) == {document.id}


INJECTIONS = [
    '"',
    "*",
    "NEAR(a b)",
    "OR",
    "') OR 1=1 --",
    "a:* & !b",
    "'; DROP TABLE library_document; --",
    '"guidance" OR "body"',
    "tokens:*",
    "guidance) OR (body",
]


@pytest.mark.parametrize("typed", INJECTIONS)
def test_injection_attempts_neither_fail_nor_show_hidden_documents(
    session: Session, settings: Settings, fiji: User, samoa: User, typed: str
) -> None:
    hidden = add(session, settings, fiji, title="Guidance or body a b drop table", access="body", body_key="sme")
    seen = add(session, settings, fiji, title="Guidance or a b", access="members")
    before = document_count(session)
    try:
        found = ids(service.visible_documents(session, settings, user=samoa, query=typed))
    except search.SearchRefused:
        found = set()
    assert hidden.id not in found
    assert found <= {seen.id}
    assert document_count(session) == before
    assert session.execute(text("SELECT count(*) FROM library_document")).scalar_one() == before


def test_each_engine_searches_with_its_own_full_text_index(session: Session, db_kind: str) -> None:
    """The suite really runs on the engine it was asked for, and each engine uses its own full-text search."""
    assert session.get_bind().dialect.name == db_kind
    condition = str(search.matches(session, search.parse_query("peace")))
    assert ("library_search MATCH" in condition) if db_kind == "sqlite" else ("@@ to_tsquery('simple'" in condition)
