"""Settings come from the environment, with safe defaults."""

import os
import subprocess
import sys


def _settings(env: dict[str, str], expression: str) -> str:
    code = f"import trellis.settings as s; print({expression})"
    full_env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL"}}
    full_env.update(env)
    result = subprocess.run(
        [sys.executable, "-c", code], env=full_env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_secret_key_is_generated_once_into_the_data_directory(tmp_path):
    first = _settings({"TRELLIS_DATA_DIR": str(tmp_path)}, "s.SECRET_KEY")
    second = _settings({"TRELLIS_DATA_DIR": str(tmp_path)}, "s.SECRET_KEY")
    assert len(first) >= 50
    assert first == second
    assert (tmp_path / "secret_key").read_text().strip() == first
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_secret_key_from_the_environment_wins(tmp_path):
    value = _settings({"TRELLIS_DATA_DIR": str(tmp_path), "SECRET_KEY": "x" * 60}, "s.SECRET_KEY")
    assert value == "x" * 60
    assert not (tmp_path / "secret_key").exists()


def test_default_database_is_a_sqlite_file_in_the_data_directory_in_wal_mode(tmp_path):
    db = _settings({"TRELLIS_DATA_DIR": str(tmp_path)}, "s.DATABASES['default']")
    assert str(tmp_path / "trellis.sqlite3") in db
    assert "journal_mode=WAL" in db
    assert "IMMEDIATE" in db


def test_debug_is_off_unless_asked_for(tmp_path):
    assert _settings({"TRELLIS_DATA_DIR": str(tmp_path)}, "s.DEBUG") == "False"
    assert _settings({"TRELLIS_DATA_DIR": str(tmp_path), "TRELLIS_DEBUG": "1"}, "s.DEBUG") == (
        "True"
    )


def test_cookies_are_secure_behind_https(tmp_path):
    env = {"TRELLIS_DATA_DIR": str(tmp_path), "TRELLIS_HTTPS": "true"}
    assert _settings(env, "(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)") == "(True, True)"
    assert _settings(env, "s.SECURE_PROXY_SSL_HEADER") == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_passwords_are_hashed_with_argon2_by_default(tmp_path):
    hasher = _settings({"TRELLIS_DATA_DIR": str(tmp_path)}, "s.PASSWORD_HASHERS[0]")
    assert hasher.endswith("Argon2PasswordHasher")
