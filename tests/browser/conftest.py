"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium, installed by
`make browser`; Playwright never downloads a browser) against pytest-django's live server.

Without Chromium or Playwright the tests skip with a loud message, repeated in the terminal
summary; under CI (`CI=true`) they fail instead. Every page a journey visits is saved as a
full-page PNG under artifacts/screenshots/<journey>/<nn>-<page>.png (the directory comes
from `TRELLIS_SCREENSHOTS` when set).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from tests import factories
from trellis.org.bootstrap import ensure_builtin_roles

# Debian's Chromium; TRELLIS_CHROMIUM only to try the tests' own skip and fail paths.
CHROMIUM = os.environ.get("TRELLIS_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]
# Why the browser tests did not run, for the terminal summary.
NOT_RUN: list[str] = []


def screenshots_root() -> Path:
    return Path(os.environ.get("TRELLIS_SCREENSHOTS") or REPO / "artifacts" / "screenshots")


def _under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _missing() -> str | None:
    """What keeps the browser tests from running, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[dev]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (`make browser` installs Debian's chromium)"
    return None


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if NOT_RUN:
        terminalreporter.write_sep("!", "BROWSER TESTS DID NOT RUN", red=True, bold=True)
        terminalreporter.write_line(NOT_RUN[0], red=True, bold=True)


@pytest.fixture
def org(transactional_db):
    """The small organization of tests/conftest.py, on the live server's database: root >
    Asia-Pacific (Jakarta, Shanghai), Europe (Milan). A transactional test starts from an
    emptied database, so the built-in roles are put back first."""
    ensure_builtin_roles()
    root = factories.root()
    asia = factories.unit("Asia-Pacific", root)
    europe = factories.unit("Europe", root)
    return {
        "root": root,
        "asia": asia,
        "jakarta": factories.unit("Jakarta", asia),
        "shanghai": factories.unit("Shanghai", asia),
        "europe": europe,
        "milan": factories.unit("Milan", europe),
    }


@pytest.fixture(autouse=True)
def _browser_available() -> None:
    """Skip (or under CI fail) before any database or server is set up."""
    reason = _missing()
    if reason is None:
        return
    message = f"Browser tests need Chromium and Playwright: {reason}."
    if not NOT_RUN:
        NOT_RUN.append(message)
    if _under_ci():
        pytest.fail(f"{message} CI=true: a missing browser fails the run.", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def chromium(live_server) -> Iterator[Any]:
    """A headless Chromium. Started per test: Playwright's sync API keeps an event loop
    running in this thread while it lives, which would trip Django's async-safety check in
    every other test of the session."""
    from playwright.sync_api import sync_playwright

    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    # The ORM calls of the test itself run beside Playwright's loop (never inside it).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield browser
            finally:
                browser.close()
                # While Playwright runs, the ORM works in another context (Django's
                # connections are context-local), so the test's own connections are closed
                # here; left open, PostgreSQL could not drop the test database at the end.
                connections.close_all()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


class Journey:
    """One person's (or a few people's) walk through the app: browser contexts on the live
    server, sign-in, page visits that must render (status, stylesheet, no script errors)
    and numbered screenshots."""

    def __init__(self, browser: Any, base_url: str, name: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.name = name
        self.folder = screenshots_root() / name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0
        self.problems: list[str] = []
        self.contexts: list[Any] = []

    def page(self, *, locale: str = "en-US") -> Any:
        """A fresh browser context (its own cookies: one signed-in person) and its page."""
        context = self.browser.new_context(
            base_url=self.base_url, locale=locale, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("response", self._check_response)
        return page

    def _check_response(self, response: Any) -> None:
        if "/static/" in response.url and response.status >= 400:
            self.problems.append(f"{response.status} for {response.url}")

    def login(self, page: Any, username: str, password: str = factories.PASSWORD) -> None:
        page.goto("/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.locator("#main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        self.shot(page, f"home-{username}")

    def visit(self, page: Any, path: str, name: str, *, status: int = 200) -> Any:
        """Open `path`, check it answered `status` with a styled page, keep a screenshot."""
        response = page.goto(path)
        assert response is not None
        assert response.status == status, f"{path} answered {response.status}, not {status}"
        self.shot(page, name)
        return response

    def shot(self, page: Any, name: str) -> Path:
        """Save the page as it is now (full page) and check that it is a styled page."""
        page.wait_for_load_state("load")
        self.assert_styled(page)
        self.count += 1
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        path = self.folder / f"{self.count:02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def assert_styled(self, page: Any) -> None:
        styled = page.evaluate(
            """() => [...document.styleSheets].some(
                sheet => (sheet.href || "").includes("/static/web/trellis.css")
                    && sheet.cssRules.length > 0)"""
        )
        assert styled, f"{page.url} has no Trellis stylesheet"
        assert "Server Error" not in page.title(), f"{page.url} is an error page"

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def journey(request, chromium, live_server) -> Iterator[Any]:
    """`journey(name)`: a Journey whose screenshots go to <screenshots>/<name>/. At the end
    no page may have had a script error or a missing static file."""
    made: list[Journey] = []

    def start(name: str) -> Journey:
        made.append(Journey(chromium, live_server.url, name))
        return made[-1]

    yield start
    for one in made:
        one.close()
    problems = [problem for one in made for problem in one.problems]
    assert not problems, problems


def nav_labels(page: Any) -> list[str]:
    """The labels of the main navigation, in order."""
    return [label.strip() for label in page.locator("nav.main-nav a").all_inner_texts()]
