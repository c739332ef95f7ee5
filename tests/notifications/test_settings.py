"""E-mail settings come from the environment; without them notifications stay in the app."""

import os
import subprocess
import sys

EMAIL_VARS = {"EMAIL_HOST", "TRELLIS_EMAIL_BACKEND", "EMAIL_PORT", "EMAIL_USE_TLS"}


def _settings(env: dict[str, str], expression: str, tmp_path) -> str:
    code = f"import trellis.settings as s; print({expression})"
    full_env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", *EMAIL_VARS}}
    full_env.update({"TRELLIS_DATA_DIR": str(tmp_path), "SECRET_KEY": "x" * 60, **env})
    result = subprocess.run(
        [sys.executable, "-c", code], env=full_env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_email_is_off_without_an_smtp_host(tmp_path):
    assert _settings({}, "(s.EMAIL_ENABLED, s.EMAIL_BACKEND)", tmp_path) == (
        "(False, 'django.core.mail.backends.console.EmailBackend')"
    )


def test_an_smtp_host_turns_email_on_over_smtp(tmp_path):
    value = _settings(
        {"EMAIL_HOST": "smtp.example.com", "EMAIL_PORT": "587", "EMAIL_USE_TLS": "1"},
        "(s.EMAIL_ENABLED, s.EMAIL_BACKEND, s.EMAIL_PORT, s.EMAIL_USE_TLS)",
        tmp_path,
    )

    assert value == "(True, 'django.core.mail.backends.smtp.EmailBackend', 587, True)"


def test_an_explicit_backend_turns_email_on(tmp_path):
    backend = "django.core.mail.backends.console.EmailBackend"
    value = _settings(
        {"TRELLIS_EMAIL_BACKEND": backend}, "(s.EMAIL_ENABLED, s.EMAIL_BACKEND)", tmp_path
    )

    assert value == f"(True, '{backend}')"
