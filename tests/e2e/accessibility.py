"""axe-core in the browser tests: every page a journey shows is checked, and serious or critical violations fail it.

axe's script comes from the installed axe-playwright-python package (no network: hospitals run offline).
It is evaluated through the DevTools protocol rather than added as a <script> tag, which the pages'
Content-Security-Policy (script-src 'self') would refuse, as it should.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import axe_playwright_python
from playwright.sync_api import Error as PlaywrightError

FAILING_IMPACTS = ("serious", "critical")
# A navigation that happens while a check runs destroys the page it was checking: the check is retried on the new one.
NAVIGATED = ("Execution context was destroyed", "navigation")
# Calls after which a new page is there to check before the test goes on.
NAVIGATING = ("goto", "reload", "go_back", "go_forward", "wait_for_url")
# What axe's rules look at, less the words: a page whose markup reads the same as one checked already (a poll's
# reload with a new time in it) is not checked again. Emptied text, a new class or a new language is a new page.
MARKUP = """() => Array.from(document.querySelectorAll('*'), element => [element.tagName,
  ...Array.from(element.attributes, a => /^(id|class|role|lang|type|for|href)$/.test(a.name) ? a.name + '=' + a.value : a.name),
  element.children.length || element.textContent.trim() ? '' : 'empty'].join(' ')).join('\\n')"""


@cache
def axe_script() -> str:
    """Return axe-core's minified script as the package ships it."""
    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def serious_violations(page) -> list[dict]:
    """Run axe on the page as it is now and return its serious and critical violations."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_script())
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [v for v in results["violations"] if v["impact"] in FAILING_IMPACTS]


def describe(violations: list[dict]) -> str:
    """Return one block per violation: rule, impact, help, and the selectors of the elements at fault."""
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            summary = "; ".join(line.strip() for line in node.get("failureSummary", "").splitlines()[1:])
            lines.append(f"    at {' > '.join(map(str, node['target']))}: {summary}")
    return "\n".join(lines)


def assert_accessible(page, where: str = "") -> None:
    """Fail, naming every fault, if axe finds a serious or critical violation on the page."""
    violations = serious_violations(page)
    assert not violations, f"accessibility violations on {where or page.url}:\n{describe(violations)}"


class AuditedPage:
    """A Playwright page that runs axe on each page it loads before the test acts on it again.

    Every call through this object first checks the pages loaded since the last call; a page loaded and
    left before any call could check it fails the test, so no page of a journey goes unchecked. Locators
    made from it act on the real page; same-document changes worth a check call `audit()`.
    """

    def __init__(self, page):
        self._page = page
        self._loaded: list[str] = []
        self._checked_markup: set[int] = set()
        self.audited: list[str] = []
        page.on("load", lambda loaded: self._loaded.append(loaded.url))

    def __getattr__(self, name):
        attribute = getattr(self._page, name)
        if not callable(attribute):
            return attribute

        def checked(*args, **kwargs):
            self.audit_loaded()
            result = attribute(*args, **kwargs)
            if name in NAVIGATING:
                self.audit_loaded()
            return result

        return checked

    def audit_loaded(self) -> None:
        """Check the page if it has loaded since the last check; fail on a loaded page left unchecked."""
        if not self._loaded:
            return
        self._page.wait_for_load_state("load")
        loaded, self._loaded = self._loaded, []
        skipped = [url for url in loaded if url != self._page.url]
        assert not skipped, f"pages left before axe could check them (wait for each page to show): {skipped}"
        self.audit()

    def audit(self) -> None:
        """Check the page as it is now, unless its markup was checked already."""
        for attempt in range(3):
            try:
                markup = hash((self._page.url.split("#")[0], self._page.evaluate(MARKUP)))
                if markup not in self._checked_markup:
                    assert_accessible(self._page)
                break
            except PlaywrightError as error:
                if attempt == 2 or not any(text in str(error) for text in NAVIGATED):
                    raise
                self._page.wait_for_load_state("load")
        self._checked_markup.add(markup)
        self.audited.append(self._page.url)
