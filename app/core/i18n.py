"""Translations: catalogues compiled from the .po files at start, the request's language in a context var."""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.core import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from app.core.config import LANGUAGES

LOCALE_DIR = Path(__file__).parent.parent / "locale"
DOMAIN = "messages"

current_language: ContextVar[str] = ContextVar("current_language", default="en")


@lru_cache
def translations(language: str) -> Translations:
    """The compiled catalogue for one language (English is the source, so it may be empty)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return Translations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


class ContextMessage(str):
    """A msgid with a context: one English word whose French differs by what it qualifies (an open need, une action
    ouverte)."""

    context: str

    def __new__(cls, context: str, message: str) -> ContextMessage:
        text = super().__new__(cls, message)
        text.context = context
        return text


def gettext(message: str) -> str:
    return translate(message, current_language.get())


def translate(message: str, language: str) -> str:
    """A message in one language, in its context if it has one."""
    if isinstance(message, ContextMessage):
        return str(translations(language).pgettext(message.context, message))
    return translations(language).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 - the usual gettext marker name
    """Marks a string for extraction; it is translated later, where it is shown."""
    return message


def NC_(context: str, message: str) -> ContextMessage:  # noqa: N802 - the usual marker name, with a context
    """Marks a string with its context for extraction; `gettext` later translates it in that context."""
    return ContextMessage(context, message)


def pick_language(*candidates: str | None, accept_language: str = "", default: str = "en") -> str:
    """The first supported language among explicit choices, then the browser's preferences."""
    for candidate in candidates:
        if candidate in LANGUAGES:
            return candidate
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return default


class in_language:  # noqa: N801 - used like a function: `with in_language("fr"):`
    """Translates in another language for a while (an email in its recipient's language)."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __enter__(self) -> None:
        self._token = current_language.set(self.language)

    def __exit__(self, *exc: object) -> None:
        current_language.reset(self._token)


PORTAL_LANGUAGES = {"en": "English", "fr": "Français"}


def language_name(code: str, language: str | None = None, *, own: bool = False) -> str:
    """A language as people name it, in the reader's language (Samoan; samoan, anglais in French); with `own`, one
    of the portal's languages by its own name, as a reader choosing it looks for it (English, Français). An unknown
    code is shown as it is."""
    if own and code in PORTAL_LANGUAGES:
        return PORTAL_LANGUAGES[code]
    try:
        name = Locale.parse(language or current_language.get()).languages.get(code)
    except (ValueError, UnknownLocaleError):
        name = None
    return str(name) if name else code
