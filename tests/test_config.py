"""A wrong configuration value stops start-up with one line naming the key and the allowed values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.config import ROOT


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PRCN_")}
    clean["PRCN_VAR_DIR"] = os.environ["PRCN_VAR_DIR"]
    return subprocess.run(
        [sys.executable, "-m", "app", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"PRCN_GOVERNANCE_OPTION": "federal"},
            "PRCN_GOVERNANCE_OPTION: 'federal' is not allowed; use one of: 'diplomatic', 'operational', 'informal' "
            "or 'adhoc'",
        ),
        ({"PRCN_DATABASE_URL": "not a url"}, "PRCN_DATABASE_URL: not a database URL"),
        ({"PRCN_DATABASE_URL": "mysql://u@h/db"}, "PRCN_DATABASE_URL: driver 'mysql' is not supported"),
        ({"PRCN_DEFAULT_LANGUAGE": "de"}, "PRCN_DEFAULT_LANGUAGE: 'de' is not allowed; use one of: 'en' or 'fr'"),
        ({"PRCN_PRODUCTION": "true"}, "PRCN_SECRET_KEY must be set when PRCN_PRODUCTION is true"),
        ({"PRCN_SMTP_PORT": "99999"}, "PRCN_SMTP_PORT: Input should be less than or equal to 65535"),
        (
            {"PRCN_NOTIFICATIONS_PER_RUN": "0"},
            "PRCN_NOTIFICATIONS_PER_RUN: Input should be greater than or equal to 1",
        ),
        ({"PRCN_BASE_URL": "portal.example"}, "PRCN_BASE_URL: must start with http:// or https://"),
        (
            {"PRCN_MAIL_REPLY_TO": "Secretariat <secretariat@example.org>"},
            "PRCN_MAIL_REPLY_TO: 'Secretariat <secretariat@example.org>' is not an email address; give one bare "
            "address, e.g. secretariat@example.org",
        ),
        (
            {"PRCN_TRUSTED_PROXIES": "10.0.0.1, proxy.local"},
            "PRCN_TRUSTED_PROXIES: 'proxy.local' is not an IP address or network; list the proxies' addresses, "
            "comma-separated",
        ),
        (
            {"PRCN_OIDC_MFA_ACR": "phr, level two"},
            "PRCN_OIDC_MFA_ACR: 'phr, level two' is not allowed; list ACR values without spaces, comma-separated",
        ),
    ],
)
def test_wrong_value_stops_with_one_line(env: dict[str, str], expected: str) -> None:
    result = run_cli("check-config", **env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [f"Configuration error: {expected}"], result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_to_start_on_a_wrong_option() -> None:
    result = run_cli("run", "--port", "0", PRCN_GOVERNANCE_OPTION="Informal")
    assert result.returncode == 2
    assert "PRCN_GOVERNANCE_OPTION" in result.stderr and "Traceback" not in result.stderr


def test_toml_file_is_read_and_its_unknown_keys_refused(tmp_path: Path) -> None:
    good = tmp_path / "portal.toml"
    good.write_text('governance_option = "adhoc"\ndefault_language = "fr"\n')
    result = run_cli("check-config", PRCN_CONFIG_FILE=str(good))
    assert result.returncode == 0 and "option: adhoc" in result.stdout
    assert (
        run_cli("check-config", PRCN_CONFIG_FILE=str(good), PRCN_GOVERNANCE_OPTION="operational").stdout.count(
            "option: operational"
        )
        == 1
    )
    bad = tmp_path / "bad.toml"
    bad.write_text('governance_opshun = "adhoc"\n')
    result = run_cli("check-config", PRCN_CONFIG_FILE=str(bad))
    assert result.returncode == 2
    assert result.stderr.strip() == "Configuration error: PRCN_GOVERNANCE_OPSHUN: unknown configuration key"


def test_missing_config_file_is_named() -> None:
    result = run_cli("check-config", PRCN_CONFIG_FILE="/nonexistent/portal.toml")
    assert result.returncode == 2 and "PRCN_CONFIG_FILE" in result.stderr and "Traceback" not in result.stderr


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    result = run_cli("migrate", PRCN_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("Database error: PRCN_DATABASE_URL cannot be used")
    assert "Traceback" not in result.stderr


def test_secret_key_is_generated_once_and_kept(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app.core.config import Settings

    monkeypatch.delenv("PRCN_SECRET_KEY")
    settings = Settings(var_dir=tmp_path)
    first = settings.secret()
    assert len(first) >= 32 and settings.secret() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_admin_sees_effective_configuration_with_secrets_masked(client, session, monkeypatch) -> None:
    from app.core.config import get_settings
    from tests.factories import make_user, sign_in, soup

    monkeypatch.setenv("PRCN_SMTP_PASSWORD", "hunter2-smtp-password")
    monkeypatch.setenv("PRCN_GOVERNANCE_OPTION", "operational")
    get_settings.cache_clear()
    try:
        sign_in(client, session, make_user(session, role="admin"))
        page = soup(client.get("/admin").text)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    text = page.get_text(" ")
    assert "hunter2" not in text and "test-secret-key" not in text
    rows = {row.th.get_text(strip=True): row.td.get_text(strip=True) for row in page.select("tbody tr") if row.th}
    assert rows["PRCN_GOVERNANCE_OPTION"] == "operational"
    assert rows["PRCN_SMTP_PASSWORD"] == "••••••"
    current = page.find("tr", attrs={"aria-current": "true"})
    assert "Operational option" in current.get_text()
