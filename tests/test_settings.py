from __future__ import annotations

import pytest
from pydantic import ValidationError

from smsgate.settings import load_settings


def test_settings_defaults_embedded_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMSGATE_DATABASE_URL", raising=False)
    settings = load_settings()
    assert settings.database_url == "sqlite:///./smsgate.db"
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)


def test_settings_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMSGATE_PORT", "abc")
    with pytest.raises(ValidationError, match="port"):
        load_settings()


def test_settings_unknown_database_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMSGATE_DATABASE_URL", "mysql://x")
    with pytest.raises(ValidationError, match="database_url"):
        load_settings()


def test_settings_from_file(
    tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SMSGATE_PORT", raising=False)
    path = tmp_path / "smsgate.env"  # type: ignore[operator]
    path.write_text("SMSGATE_PORT=9090\n")
    assert load_settings(str(path)).port == 9090
