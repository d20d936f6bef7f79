"""Full-text search done the same way on SQLite (FTS5) and PostgreSQL (to_tsvector('simple', …)).

Python does the linguistics: both engines only ever see lower-case ASCII tokens ([a-z0-9]+) separated by spaces,
so they index the same words and answer the same query with the same documents. A document is indexed by its
words and their Snowball stems in its own language; a query word matches as a prefix, or by its English or French
stem. Nothing the user types reaches an engine except such tokens: no operator, quote or column name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from sqlalchemy import TextClause, text
from sqlmodel import Session

from app.core.errors import DomainError
from app.core.i18n import N_

MAX_QUERY_WORDS = 12
MAX_QUERY_CHARACTERS = 200
MAX_TOKEN_LENGTH = 64  # longer "words" are noise (hashes, URLs run together); PostgreSQL caps lexemes anyway
STEMMERS = {"en": "english", "fr": "french"}
# Letters NFKD does not take apart into a base letter and a mark.
LIGATURES = str.maketrans(
    {"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "ı": "i"}
)
WORD = re.compile(r"[^\W_]+")  # runs of letters and digits, in any script
TOKEN = re.compile(r"[a-z0-9]+")


class SearchRefused(DomainError):
    status_code = 400


@lru_cache
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(STEMMERS[language])


def fold(word: str) -> str:
    """Lower case without accents: 'Leçons' → 'lecons', 'Œuvre' → 'oeuvre'."""
    decomposed = unicodedata.normalize("NFKD", word.lower().translate(LIGATURES))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).translate(LIGATURES)


def _usable(token: str) -> bool:
    return len(token) <= MAX_TOKEN_LENGTH and TOKEN.fullmatch(token) is not None


def words(value: str) -> list[str]:
    """The words of a text, lower case, accents kept (the stemmers want them)."""
    return WORD.findall(unicodedata.normalize("NFC", value.lower()))


def stem(word: str, language: str) -> str:
    """A word's Snowball stem in a language, folded like the words."""
    return fold(_stemmer(language).stemWord(word))


def index_tokens(value: str, language: str) -> str:
    """What the full-text indexes read for a document: each word and its stem in the document's language, once
    each, in the order first met."""
    seen: dict[str, None] = {}
    for word in words(value):
        folded = fold(word)
        if not _usable(folded):
            continue
        seen.setdefault(folded)
        stemmed = stem(word, language)
        if _usable(stemmed):
            seen.setdefault(stemmed)
    return " ".join(seen)


@dataclass(frozen=True)
class Term:
    """One query word: found as a prefix of an indexed word, or as an English or French stem."""

    prefix: str
    stems: tuple[str, ...]


def parse_query(value: str) -> list[Term]:
    """The terms of a search; refused when it has no usable word, or is too long."""
    if len(value) > MAX_QUERY_CHARACTERS:
        raise SearchRefused(
            N_("Search for at most %(words)s words and %(characters)s characters."),
            words=MAX_QUERY_WORDS,
            characters=MAX_QUERY_CHARACTERS,
        )
    terms: dict[str, Term] = {}
    for word in words(value):
        folded = fold(word)
        if not _usable(folded) or folded in terms:
            continue
        stems = tuple(dict.fromkeys(s for s in (stem(word, "en"), stem(word, "fr")) if _usable(s) and s != folded))
        terms[folded] = Term(folded, stems)
    if not terms:
        raise SearchRefused(N_("Type at least one word to search for, in letters or digits."))
    if len(terms) > MAX_QUERY_WORDS:
        raise SearchRefused(
            N_("Search for at most %(words)s words and %(characters)s characters."),
            words=MAX_QUERY_WORDS,
            characters=MAX_QUERY_CHARACTERS,
        )
    return list(terms.values())


def _checked(token: str) -> str:
    # Belt and braces: parse_query only makes such tokens, and nothing else may reach an engine.
    if not _usable(token):
        raise ValueError(f"not a search token: {token!r}")
    return token


def fts5_match(terms: list[Term]) -> str:
    """The FTS5 MATCH expression: ("word"* OR "stem") AND (…), every token quoted."""
    groups = []
    for term in terms:
        alternatives = [f'"{_checked(term.prefix)}"*'] + [f'"{_checked(s)}"' for s in term.stems]
        groups.append("(" + " OR ".join(alternatives) + ")")
    return " AND ".join(groups)


def tsquery(terms: list[Term]) -> str:
    """The to_tsquery('simple', …) string: (word:* | stem) & (…)."""
    groups = []
    for term in terms:
        alternatives = [f"{_checked(term.prefix)}:*"] + [_checked(s) for s in term.stems]
        groups.append("(" + " | ".join(alternatives) + ")")
    return " & ".join(groups)


@dataclass(frozen=True)
class SearchIndex:
    """One table indexed this way: its SQL, written out in full (no name is ever put together at run time)."""

    fts5_match: str
    tsvector_match: str
    fts5_delete: str
    fts5_insert: str


INDEXES = {
    "library_search": SearchIndex(
        "library_document.id IN (SELECT rowid FROM library_search WHERE library_search MATCH :fts)",
        "to_tsvector('simple', library_document.search_tokens) @@ to_tsquery('simple', :tsq)",
        "DELETE FROM library_search WHERE rowid = :id",
        "INSERT INTO library_search (rowid, tokens) VALUES (:id, :tokens)",
    ),
    # The decisions register, indexed the same way (app/decisions).
    "decision_search": SearchIndex(
        "decision.id IN (SELECT rowid FROM decision_search WHERE decision_search MATCH :fts)",
        "to_tsvector('simple', decision.search_tokens) @@ to_tsquery('simple', :tsq)",
        "DELETE FROM decision_search WHERE rowid = :id",
        "INSERT INTO decision_search (rowid, tokens) VALUES (:id, :tokens)",
    ),
}


def matches(session: Session, terms: list[Term], *, index_name: str = "library_search") -> TextClause:
    """The SQL condition on the indexed table (library_document by default) that its indexed tokens match the
    terms, for this engine."""
    found = INDEXES[index_name]
    if session.get_bind().dialect.name == "sqlite":
        return text(found.fts5_match).bindparams(fts=fts5_match(terms))
    # Written as the GIN index's expression, so PostgreSQL uses the index.
    return text(found.tsvector_match).bindparams(tsq=tsquery(terms))


def index(session: Session, document_id: int, tokens: str, *, index_name: str = "library_search") -> None:
    """Puts a document's tokens in the FTS5 table (SQLite); PostgreSQL indexes the column itself."""
    if session.get_bind().dialect.name == "sqlite":
        found = INDEXES[index_name]
        session.execute(text(found.fts5_delete), {"id": document_id})
        session.execute(text(found.fts5_insert), {"id": document_id, "tokens": tokens})


def unindex(session: Session, document_id: int, *, index_name: str = "library_search") -> None:
    """Takes a document out of the FTS5 table (SQLite); on PostgreSQL the withdrawn filter hides it."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text(INDEXES[index_name].fts5_delete), {"id": document_id})
