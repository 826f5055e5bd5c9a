"""An organiser's journey in a real browser: log in, re-score a submission, disqualify a team."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ORGANISER = "organiser@example.org"  # listed in the demo challenge's YAML
HOSTILE_NAME = '<img src=x onerror="alert(1)"> Sneaky'


def wait_for_status(page, submission_id: int, status: str, timeout: float = 60) -> None:
    """Reload the dashboard until the submission shows this status (the page does not poll)."""
    row = page.locator("tr", has=page.get_by_role("link", name=f"Submission {submission_id} details", exact=True))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if row.locator(f".status-{status}").count():
            return
        time.sleep(0.5)
        page.reload()
    raise AssertionError(f"submission {submission_id} did not reach {status!r} within {timeout} s")


@pytest.fixture
def paris_page(browser, live_server):
    """A page in a browser whose clock is in Paris, so times must be shown in that zone."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900}, timezone_id="Europe/Paris")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_an_organiser_rescores_a_submission_and_disqualifies_a_team(
    paris_page, live_worker, make_challenge, make_user, make_team, make_submission, screenshot
):
    from ultrathon.platform.extensions import db
    from ultrathon.platform.models import AuditEvent, Team

    page = paris_page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    challenge = make_challenge("breast-cancer-diagnosis")
    make_user(ORGANISER, "Olga Organiser", password="correct horse battery staple")
    team = make_team(challenge, name=HOSTILE_NAME)
    submission = make_submission(challenge, team, note="<script>alert('note')</script>")

    page.goto(f"/challenges/{challenge.slug}/organise")
    page.get_by_label("E-mail address").fill(ORGANISER)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(rf"/challenges/{challenge.slug}/organise$"))
    assert page.get_by_role("heading", name=challenge.title).is_visible()

    wait_for_status(page, submission.id, "scored")
    # Hostile text shows as text: the name and note are visible literally and nothing ran.
    assert page.locator("td", has_text=HOSTILE_NAME).first.is_visible()
    assert page.locator("td", has_text="<script>alert('note')</script>").is_visible()
    # Times are in the viewer's zone, which is named.
    submitted = page.locator("tr", has=page.get_by_role("link", name=f"Submission {submission.id} details")).locator("time").first
    assert "(Europe/Paris)" in submitted.inner_text()
    assert page.get_by_role("img", name=re.compile("Submissions per day")).is_visible()
    charts = page.locator("canvas[data-chart]")
    assert charts.count() == 2
    assert all(c.evaluate("canvas => Boolean(window.Chart && Chart.getChart(canvas))") for c in charts.all())
    screenshot(page, "organise-dashboard")

    # Re-score with the keyboard alone: tab to the row's button and press Enter.
    rescore = page.get_by_role("button", name=f"Re-score submission {submission.id}")
    page.locator("body").focus()
    for _ in range(80):
        page.keyboard.press("Tab")
        if rescore.evaluate("button => button === document.activeElement"):
            break
    else:
        raise AssertionError("the re-score button cannot be reached with the Tab key")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text(f"Submission {submission.id} is queued for re-scoring.")).to_be_visible()
    wait_for_status(page, submission.id, "scored")
    db.session.expire_all()
    assert db.session.execute(
        db.select(AuditEvent).where(AuditEvent.action == "submission.rescore", AuditEvent.target_id == str(submission.id))
    ).scalar_one() is not None

    # Disqualify: a reason is required, and it is shown and recorded.
    page.get_by_role("link", name=f"Disqualify {HOSTILE_NAME}").click()
    page.get_by_role("button", name=re.compile("^Disqualify")).click()
    expect(page.get_by_text("Give the reason for disqualifying the team")).to_be_visible()
    screenshot(page, "organise-disqualify-needs-reason")
    page.get_by_label("Reason").fill("Shared the hidden labels in a public notebook")
    page.get_by_role("button", name=re.compile("^Disqualify")).click()
    page.wait_for_url(re.compile(rf"/challenges/{challenge.slug}/organise#teams$"))
    teams = page.locator("#teams")
    expect(teams.get_by_text("Shared the hidden labels in a public notebook")).to_be_visible()
    expect(teams.locator(".badge-dq")).to_be_visible()
    expect(page.get_by_role("button", name=f"Requalify {HOSTILE_NAME}")).to_be_visible()
    screenshot(page, "organise-after-disqualify")
    db.session.expire_all()
    assert db.session.get(Team, team.id).disqualified_reason == "Shared the hidden labels in a public notebook"

    page.get_by_role("link", name="Audit log").first.click()
    expect(page.get_by_text("team.disqualify")).to_be_visible()
    screenshot(page, "organise-audit")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/challenges/{challenge.slug}/organise")
    # After the first page the browser has told the server its zone: days begin in Paris too.
    expect(page.get_by_text("Days are counted in Europe/Paris.")).to_be_visible()
    screenshot(page, "organise-dashboard-phone")
    assert dialogs == []  # no script from a name or note ever ran
