"""The home page: the network's name and the governance option in force, in English and French."""

from __future__ import annotations

import pytest

from tests.factories import soup


def test_home_shows_network_and_option(client) -> None:
    page = soup(client.get("/").text)
    assert page.h1.get_text(strip=True) == "Pacific Region Cooperation Network in the Field of Peacekeeping"
    assert "Informal option" in page.find(id="option-heading").get_text()
    assert "quarterly" in page.find("section").get_text()


@pytest.mark.parametrize(("option", "label"), [
    ("diplomatic", "Diplomatic option"), ("operational", "Operational option"),
    ("informal", "Informal option"), ("adhoc", "Ad hoc voluntary network"),
])
def test_home_follows_configured_option(client, monkeypatch, option: str, label: str) -> None:
    from app.config import get_settings

    monkeypatch.setenv("PRCN_GOVERNANCE_OPTION", option)
    get_settings.cache_clear()
    try:
        heading = soup(client.get("/").text).find(id="option-heading").get_text()
    finally:
        monkeypatch.delenv("PRCN_GOVERNANCE_OPTION")
        get_settings.cache_clear()
    assert label in heading


def test_home_in_french_from_browser_preference(client) -> None:
    page = soup(client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).text)
    assert page.html["lang"] == "fr"
    assert "Réseau de coopération" in page.h1.get_text()
    assert "Option informelle" in page.find(id="option-heading").get_text()
