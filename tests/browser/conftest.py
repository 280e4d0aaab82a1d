"""Real-browser tests: Playwright driving the system's Chromium against the live server.

Every page a test visits is watched: a console error, an uncaught exception or a Content
Security Policy violation fails the test. Screenshots land in test-artifacts/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            # One live server and browser per worker: keep browser tests together.
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; install the 'chromium' package (CI does).")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        # The machine has no network beyond the registries: keep Chromium from calling home.
        "args": [
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
        ],
    }


class PageProblems:
    """Console errors, page errors and CSP violations seen by a page."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.items.append(f"console: {message.text}")

    def watch(self, page: Any) -> Any:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.items.append(f"pageerror: {exc}"))
        # securitypolicyviolation events do not reach the console in every build: listen directly.
        page.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => "
            "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
        )
        return page


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def watched(
    page: Any, page_problems: PageProblems, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """The page, watched for problems, with a screenshot saved at the end."""
    page.set_default_timeout(15_000)
    page_problems.watch(page)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert page_problems.items == []


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
