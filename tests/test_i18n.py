"""Every user-facing string of the code and templates has a French translation."""

from __future__ import annotations

import os
import re

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app.core.config import ROOT
from app.core.i18n import LOCALE_DIR, NC_, in_language
from app.core.web import environment

METHODS = [("**.py", "python"), ("**.html", "jinja2")]
OPTIONS = {"**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def not_hidden(dirpath: str) -> bool:
    """Every folder but hidden ones and caches: templates/_macros holds messages too."""
    name = os.path.basename(dirpath)
    return not name.startswith(".") and name != "__pycache__"


def extracted() -> set[str]:
    messages = set()
    for folder in (ROOT / "app", ROOT / "templates"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            folder, METHODS, options_map=OPTIONS, keywords=KEYWORDS, directory_filter=not_hidden
        ):
            messages.add(message if isinstance(message, str) else message[0])
    return messages


def french() -> dict[str, str]:
    """Translated messages by their (singular) id; a plural counts only with every form translated."""
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    done = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(texts):
            done[ids[0]] = " ".join(texts)
    return done


def test_extraction_finds_the_strings() -> None:
    assert {"Sign in", "Sign out", "Audit log"} <= extracted()


def test_every_string_has_a_french_translation() -> None:
    missing = sorted(extracted() - set(french()))
    assert missing == [], f"missing French translations (run `make catalogues`): {missing}"


def test_placeholders_survive_translation() -> None:
    placeholder = re.compile(r"%\(\w+\)s")
    wrong = {
        msgid: text
        for msgid, text in french().items()
        if set(placeholder.findall(msgid)) != set(placeholder.findall(text))
    }
    assert wrong == {}


def test_region_words_exist_in_both_languages() -> None:
    from app.core import region
    from app.core.config import GOVERNANCE_OPTIONS, get_settings

    network = region.load(get_settings().seeds_dir)
    for key in GOVERNANCE_OPTIONS:
        words = network.options[key]
        assert words.label("en") != words.label("fr") or key == "adhoc"
        assert words.summary("en") != words.summary("fr")


def test_templates_translate_in_the_readers_language_and_escape_what_fills_a_message_in() -> None:
    page = environment().from_string(
        "{{ _('Same as the host state (%(zone)s)', zone=zone) }}|{{ _(status) }}|{{ _('Open') }}|"
        "{{ ngettext('%(num)d unused recovery code remains.', '%(num)d unused recovery codes remain.', n) }}|"
        "{{ _('Seats filled: 100%%') }}"
    )
    values = {"zone": "<b>Fiji</b>", "status": NC_("action item", "Open"), "n": 2}
    with in_language("fr"):
        french = page.render(values)
    english = page.render(values)
    assert french == (
        "Celui de l’État hôte (&lt;b&gt;Fiji&lt;/b&gt;)|Ouverte|Open|Il reste 2 codes de secours inutilisés."
        "|Seats filled: 100%"
    )
    assert english == (
        "Same as the host state (&lt;b&gt;Fiji&lt;/b&gt;)|Open|Open|2 unused recovery codes remain.|Seats filled: 100%"
    )
