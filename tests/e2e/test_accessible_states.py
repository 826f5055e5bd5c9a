"""Page states the journeys pass through only by chance, held still for axe: every status a submission can show."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD
from tests.e2e.journeys import log_in, new_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ORGANISER = "organiser@example.org"  # listed in the demo challenge's YAML
STATUSES = ("queued", "scoring", "scored", "failed")


@pytest.fixture
def every_status(make_open_challenge, make_user, make_team, make_submission):
    """An open challenge whose one team has a submission in each status, and its organiser."""
    from ultrathon.platform.extensions import db

    challenge = make_open_challenge()
    make_user(ORGANISER, "Olga Organiser")
    team = make_team(challenge, [make_user("ada@example.org", "Ada")], name="Night Owls")
    for status in STATUSES:
        submission = make_submission(challenge, team, note=f"left {status}")
        submission.status = status
        submission.error = "Scoring failed: the worker stopped." if status == "failed" else None
    db.session.commit()
    return challenge


@pytest.mark.parametrize("email, path", [("ada@example.org", "submissions"), (ORGANISER, "organise")])
def test_every_submission_status_passes_axe_on_the_teams_and_the_organisers_page(browser, live_server, every_status,
                                                                                  email, path):
    page = new_page(browser, live_server, "en")
    try:
        page.goto(f"/login?next=/challenges/{every_status.slug}/{path}")
        log_in(page, email, PASSWORD)
        page.wait_for_url(re.compile(rf"/{path}$"))  # checked by axe once loaded
        for status in STATUSES:
            assert page.locator(f".badge.status-{status}").count(), f"no {status} badge on the page"
        page.audit()  # the polled rows may have been redrawn
    finally:
        page.context.close()
