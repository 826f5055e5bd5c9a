"""Under the content security policy, in a real browser, nothing is blocked and the pages' scripts still work."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ORGANISER = "organiser@example.org"  # listed in the demo challenge's YAML
PASSWORD = "correct horse battery staple"
# Runs before any page script; Playwright's init scripts are not subject to the page's policy.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.cspViolations.push(event.violatedDirective + " blocked " + (event.blockedURI || "inline") +
                            " at " + event.sourceFile + ":" + event.lineNumber);
});
"""


class Watched:
    """A browser page that keeps every CSP violation, console report of one, and script error."""

    def __init__(self, browser, live_server) -> None:
        self.context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
        self.context.add_init_script(RECORD_VIOLATIONS)
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.problems.append(f"console: {message.text}")

    def visit(self, path: str) -> None:
        """Load a page and wait for its deferred scripts to have run."""
        self.check()  # what the page being left reported
        self.page.goto(path)
        self.page.wait_for_load_state("load")

    def log_in(self, email: str) -> None:
        self.visit("/login")
        self.page.get_by_label("E-mail address").fill(email)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_url("**/")

    def check(self) -> None:
        """Fail on any violation or script error the current page has met."""
        if self.page.url.startswith("http"):
            self.problems += self.page.evaluate("window.cspViolations || []")
            self.page.evaluate("window.cspViolations = []")
        assert self.problems == [], f"{self.page.url}: {self.problems}"


@pytest.fixture
def watched(browser, live_server):
    created: list[Watched] = []

    def make() -> Watched:
        created.append(Watched(browser, live_server))
        return created[-1]

    yield make
    for one in created:
        one.context.close()


def test_the_pages_work_under_the_policy_with_nothing_blocked(
        watched, live_worker, make_open_challenge, make_user, make_team):
    challenge = make_open_challenge()
    participant = make_user()
    make_team(challenge, [participant], name="Night Owls")
    make_user(ORGANISER, "Olga Organiser")
    sample = next(f.content for f in challenge.files if f.name == "sample_submission.csv")

    team = watched()
    page = team.page
    team.visit("/")
    team.visit(f"/challenges/{challenge.slug}")
    assert page.locator("time[data-local]").count() > 0  # ultrathon.js put the times in the viewer's zone
    team.log_in(participant.email)

    # The submissions page: the upload goes through the page's script and its row turns scored live.
    team.visit(f"/challenges/{challenge.slug}/submissions")
    page.evaluate("window.sameDocument = true")
    page.get_by_label("Prediction file (CSV)").set_input_files(
        {"name": "sample.csv", "mimeType": "text/csv", "buffer": sample})
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector('#submissions tr[data-status="scored"]', timeout=60_000)
    assert page.evaluate("window.sameDocument") is True
    expect(page.locator(".quota-left")).to_have_text("4")
    team.check()

    # The leaderboard: live, with its charts drawn by the vendored Chart.js.
    team.visit(f"/challenges/{challenge.slug}/leaderboard")
    page.locator("#lb-live[data-state=live]").wait_for()
    history = page.locator("canvas[data-chart=history]")
    history.wait_for()
    assert history.evaluate("canvas => Boolean(window.Chart && Chart.getChart(canvas))")
    assert page.locator("#lb-board tbody tr [data-col=team]").first.inner_text().startswith("Night Owls")
    team.visit("/account")
    team.check()

    # The organiser's pages: charts drawn by the vendored Chart.js, and organise.js asks before a bulk action.
    organiser = watched()
    dialogs: list[str] = []
    organiser.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    organiser.log_in(ORGANISER)
    organiser.visit("/organise")
    organiser.visit(f"/challenges/{challenge.slug}/organise")
    assert organiser.page.get_by_role("img", name=re.compile("Submissions per day")).is_visible()
    charts = organiser.page.locator("canvas[data-chart]")
    assert charts.count() == 2
    assert all(c.evaluate("canvas => Boolean(window.Chart && Chart.getChart(canvas))") for c in charts.all())
    organiser.page.get_by_role("button", name=re.compile("Re-score all", re.I)).click()
    assert dialogs and "Queue every submission" in dialogs[0]
    assert "tz=" in organiser.page.evaluate("document.cookie")
    organiser.visit(f"/challenges/{challenge.slug}/organise/audit")
    organiser.check()


def test_a_blocked_inline_script_is_caught(watched, live_server, make_challenge):
    """The watch itself works: an inline script the page tries to run is reported, and does not run."""
    make_challenge()
    probe = watched()
    probe.visit("/")
    probe.page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.inlineRan = true";
        document.body.appendChild(script);
    }""")
    probe.page.wait_for_function("() => window.cspViolations.length > 0")
    assert probe.page.evaluate("window.inlineRan") is None
    with pytest.raises(AssertionError, match="script-src"):
        probe.check()
