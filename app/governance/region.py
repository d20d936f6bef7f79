"""The region as data: the network's names and the governance options' words, read from seeds/."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.config import GOVERNANCE_OPTIONS, LANGUAGES


class SeedError(Exception):
    """A seed file is missing, unreadable or incomplete; the message names the file and the field."""


@dataclass(frozen=True)
class Localised:
    en: str
    fr: str

    def __call__(self, language: str) -> str:
        return self.fr if language == "fr" else self.en


@dataclass(frozen=True)
class OptionWords:
    key: str
    label: Localised
    summary: Localised


@dataclass(frozen=True)
class Region:
    name: Localised
    short: Localised
    options: dict[str, OptionWords]

    def short_name(self, language: str) -> str:
        return self.short(language)


def _localised(data: dict[str, object], field: str, where: str) -> Localised:
    values = []
    for language in LANGUAGES:
        value = data.get(f"{field}_{language}")
        if not isinstance(value, str) or not value.strip():
            raise SeedError(f"{where}: field {field}_{language} is missing or empty")
        values.append(value.strip())
    return Localised(*values)


@lru_cache
def load(seeds_dir: Path) -> Region:
    """Reads seeds/network.toml; every option needs its label and summary in both languages."""
    path = seeds_dir / "network.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SeedError(f"{path}: {error}") from None
    network = data.get("network", {})
    options = data.get("options", {})
    words = {}
    for key in GOVERNANCE_OPTIONS:
        if key not in options:
            raise SeedError(f"{path}: [options.{key}] is missing")
        where = f"{path} [options.{key}]"
        words[key] = OptionWords(key, _localised(options[key], "label", where),
                                 _localised(options[key], "summary", where))
    return Region(name=_localised(network, "name", f"{path} [network]"),
                  short=_localised(network, "short_name", f"{path} [network]"), options=words)
