"""An organiser's journey in a real browser, in each language: log in, re-score a submission, disqualify a team."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import IN_EVERY_LANGUAGE, SUBMIT, expect_language, flash, log_in, new_page
from tests.e2e.keyboard import tab_to

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ORGANISER = "organiser@example.org"  # listed in the demo challenge's YAML
HOSTILE_NAME = '<img src=x onerror="alert(1)"> Sneaky'


def submission_row(page, submission_id: int):
    """Return the dashboard's row of one submission."""
    return page.locator("tr", has=page.locator(f'a[href$="/organise/submissions/{submission_id}"]'))


def wait_for_status(page, submission_id: int, status: str, timeout: float = 60) -> None:
    """Reload the dashboard until the submission shows this status (the page does not poll)."""
    row = submission_row(page, submission_id)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if row.locator(f".status-{status}").count():
            return
        time.sleep(0.5)
        page.reload()
    raise AssertionError(f"submission {submission_id} did not reach {status!r} within {timeout} s")


@IN_EVERY_LANGUAGE
def test_an_organiser_rescores_a_submission_and_disqualifies_a_team(
    browser, live_server, live_worker, make_challenge, make_user, make_team, make_submission, screenshot, language
):
    # The browser's clock is in Paris, so times must be shown in that zone.
    page = new_page(browser, live_server, language, timezone_id="Europe/Paris")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    challenge = make_challenge("breast-cancer-diagnosis")
    make_user(ORGANISER, "Olga Organiser", password="correct horse battery staple")
    team = make_team(challenge, name=HOSTILE_NAME)
    submission = make_submission(challenge, team, note="<script>alert('note')</script>")
    suffix = "" if language == "en" else f"-{language}"
    try:
        page.goto(f"/challenges/{challenge.slug}/organise")
        log_in(page, ORGANISER, "correct horse battery staple")
        page.wait_for_url(re.compile(rf"/challenges/{challenge.slug}/organise$"))
        expect(page.locator("main h1")).to_have_text(challenge.title)
        expect_language(page, language)
        read_the_dashboard(page, submission, screenshot, suffix)
        rescore_with_the_keyboard(page, submission)
        disqualify(page, challenge, team, screenshot, suffix)

        page.locator('a[href$="/organise/audit"]').first.click()
        page.wait_for_url(re.compile("/organise/audit"))
        expect(page.get_by_text("team.disqualify")).to_be_visible()
        screenshot(page, f"organise-audit{suffix}")

        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"/challenges/{challenge.slug}/organise")
        # After the first page the browser has told the server its zone: days begin in Paris too.
        expect(page.locator('section[aria-labelledby="activity-heading"] > p.meta')).to_contain_text("Europe/Paris")
        screenshot(page, f"organise-dashboard-phone{suffix}")
        assert dialogs == []  # no script from a name or note ever ran
    finally:
        page.context.close()


def read_the_dashboard(page, submission, screenshot, suffix) -> None:
    """See the submission scored, hostile text shown as text, times in the viewer's zone, and both charts drawn."""
    wait_for_status(page, submission.id, "scored")
    # Hostile text shows as text: the name and note are visible literally and nothing ran.
    assert page.locator("td", has_text=HOSTILE_NAME).first.is_visible()
    assert page.locator("td", has_text="<script>alert('note')</script>").is_visible()
    # Times are in the viewer's zone, which is named.
    submitted = submission_row(page, submission.id).locator("time").first
    assert "(Europe/Paris)" in submitted.inner_text()
    charts = page.locator('canvas[data-chart][role="img"]')
    assert charts.count() == 2
    assert all(c.is_visible() and c.get_attribute("aria-label") for c in charts.all())
    assert all(c.evaluate("canvas => Boolean(window.Chart && Chart.getChart(canvas))") for c in charts.all())
    screenshot(page, f"organise-dashboard{suffix}")


def rescore_with_the_keyboard(page, submission) -> None:
    """Tab to the row's re-score button and press Enter: the submission is queued again and scored."""
    from ultrathon.platform.extensions import db
    from ultrathon.platform.models import AuditEvent

    rescore = page.locator(f'form[action$="/organise/submissions/{submission.id}/rescore"] {SUBMIT}')
    page.locator("body").focus()
    tab_to(page, rescore)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(flash(page).locator(".flash-success")).to_contain_text(str(submission.id))
    wait_for_status(page, submission.id, "scored")
    db.session.expire_all()
    assert db.session.execute(
        db.select(AuditEvent).where(AuditEvent.action == "submission.rescore", AuditEvent.target_id == str(submission.id))
    ).scalar_one() is not None


def disqualify(page, challenge, team, screenshot, suffix) -> None:
    """Disqualify the team: a reason is required, and it is shown and recorded."""
    from ultrathon.platform.extensions import db
    from ultrathon.platform.models import Team

    page.locator(f'a[href$="/organise/teams/{team.id}/disqualify"]').click()
    page.wait_for_url(re.compile("/disqualify$"))
    send = page.locator(f"main form {SUBMIT}")
    send.click()
    expect(page.locator("#reason-error")).to_be_visible()
    expect(page.locator("#reason")).to_have_attribute("aria-invalid", "true")
    screenshot(page, f"organise-disqualify-needs-reason{suffix}")
    page.locator("#reason").fill("Shared the hidden labels in a public notebook")
    send.click()
    page.wait_for_url(re.compile(rf"/challenges/{challenge.slug}/organise#teams$"))
    teams = page.locator("#teams")
    expect(teams.get_by_text("Shared the hidden labels in a public notebook")).to_be_visible()
    expect(teams.locator(".badge-dq")).to_be_visible()
    expect(page.locator(f'form[action$="/organise/teams/{team.id}/requalify"] {SUBMIT}')).to_be_visible()
    screenshot(page, f"organise-after-disqualify{suffix}")
    db.session.expire_all()
    assert db.session.get(Team, team.id).disqualified_reason == "Shared the hidden labels in a public notebook"
