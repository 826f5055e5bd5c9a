"""A two-phase challenge in a real browser: development with a live board, then a hidden final of one upload."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from tests.platform.phase_support import SLUG, phased_folder, predictions

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "correct horse battery staple"
ORGANISER = "organiser@example.org"  # listed in the demo challenge's YAML


def new_page(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("dialog", lambda dialog: dialog.accept())  # the publish form asks to confirm
    return page


def move_windows(challenge, development, final) -> None:
    """Set the phases' windows in the database (the served app reads the real clock) and drop cached boards."""
    from ultrathon.platform.extensions import db
    from ultrathon.platform.leaderboard.cache import clear_leaderboard

    for phase, (opens, closes) in zip(challenge.phases, (development, final)):
        phase.opens_at, phase.closes_at = opens, closes
    challenge.opens_at, challenge.closes_at = development[0], final[1]
    db.session.commit()
    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)


def upload(page, name: str, data: bytes) -> None:
    page.get_by_label("Prediction file (CSV)").set_input_files({"name": name, "mimeType": "text/csv", "buffer": data})
    page.get_by_role("button", name="Upload").click()


def test_a_team_goes_through_development_and_a_hidden_final_that_the_organiser_publishes(
        browser, live_server, live_worker, make_challenge, make_user, screenshot, tmp_path):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    folder = phased_folder(tmp_path, {"development": (now - timedelta(days=1), now + timedelta(hours=1)),
                                      "final": (now + timedelta(hours=2), now + timedelta(hours=3))})
    challenge = make_challenge(folder=folder)
    make_user(ORGANISER, "Olga Organiser")
    page = new_page(browser, live_server)
    try:
        page.goto("/register")
        page.get_by_label("E-mail address").fill("ada@example.org")
        page.get_by_label("Display name").fill("Ada")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Repeat the password").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        page.wait_for_url("**/")
        # The verification link the server mailed (logged: no SMTP here), signed with the shared secret.
        from ultrathon.platform.auth.service import find_user
        from ultrathon.platform.governance.verification import make_verify_token

        page.goto(f"/verify-email/{make_verify_token(find_user('ada@example.org'))}")
        expect(page.get_by_text("Your e-mail address ada@example.org is verified.")).to_be_visible()
        page.goto(f"/challenges/{SLUG}")
        page.get_by_label(re.compile("I have read and accept these terms")).check()
        page.get_by_role("button", name="Accept the terms").click()
        page.goto(f"/challenges/{SLUG}/team")
        page.get_by_label("Team name").fill("Night Owls")
        page.get_by_role("button", name="Create the team").click()
        expect(page.get_by_role("heading", name="Team Night Owls")).to_be_visible()

        # Development: a live score, and a picker that names both phases.
        page.goto(f"/challenges/{SLUG}/submissions")
        picker = page.get_by_role("navigation", name="Phases")
        expect(picker.get_by_role("link", name="Development")).to_have_attribute("aria-current", "page")
        expect(picker.get_by_role("link", name="Final test")).to_be_visible()
        upload(page, "development.csv", predictions(folder, "development", 0.3, 1))
        page.wait_for_selector('#submissions tr[data-status="scored"]', timeout=45_000)
        development_score = page.locator("#submissions tbody tr[data-id] td.score").first.inner_text()
        assert re.search(r"0\.\d{4}", development_score), development_score
        picker.get_by_role("link", name="Final test").click()
        page.wait_for_url(re.compile(r"phase=final"))
        expect(page.get_by_role("navigation", name="Phases").get_by_role("link", name="Final test")).to_have_attribute("aria-current", "page")
        expect(page.locator("#submissions tbody tr[data-id]")).to_have_count(0)
        expect(page.get_by_text(re.compile("Submissions to the Final test phase open"))).to_be_visible()

        page.goto(f"/challenges/{SLUG}/leaderboard?phase=development")
        expect(page.locator("tr.lb-mine", has_text="Night Owls")).to_contain_text(re.search(r"0\.\d{4}", development_score).group())
        page.wait_for_load_state("load")
        screenshot(page, "phase-leaderboard-development")

        # The final phase opens: one upload, scored and shown without a number; a second is refused.
        move_windows(challenge, (now - timedelta(days=1), now - timedelta(hours=1)), (now - timedelta(minutes=30), now + timedelta(hours=1)))
        page.goto(f"/challenges/{SLUG}/submissions")
        expect(page.get_by_role("navigation", name="Phases").get_by_role("link", name="Final test")).to_have_attribute("aria-current", "page")
        upload(page, "final.csv", predictions(folder, "final", 0.05, 2))
        page.wait_for_selector('#submissions tr[data-status="scored"]', timeout=45_000)
        row = page.locator("#submissions tbody tr[data-id]").first
        assert not re.search(r"\d\.\d{4}", row.inner_text()), row.inner_text()
        expect(row).to_contain_text("scored")
        upload(page, "again.csv", predictions(folder, "final", 0.05, 3))
        expect(page.locator("#upload-error")).to_contain_text("Submission quota used up")
        expect(page.locator("#submissions tbody tr[data-id]")).to_have_count(1)

        # The final closes; the organiser publishes its results, and the team reads its final score.
        move_windows(challenge, (now - timedelta(days=1), now - timedelta(hours=2)), (now - timedelta(hours=1), now - timedelta(minutes=1)))
        organiser = new_page(browser, live_server)
        organiser.goto(f"/challenges/{SLUG}/organise")
        organiser.get_by_label("E-mail address").fill(ORGANISER)
        organiser.get_by_label("Password").fill(PASSWORD)
        organiser.get_by_role("button", name="Log in").click()
        organiser.get_by_role("button", name="Publish the final results of Final test").click()
        expect(organiser.locator("#results-final")).to_contain_text("Published")
        expect(organiser.locator("#results-development")).to_contain_text("has closed")
        organiser.context.close()

        page.goto(f"/challenges/{SLUG}/leaderboard?split=private&phase=final")
        expect(page.locator("tr.lb-mine", has_text="Night Owls")).to_contain_text(re.compile(r"\d\.\d{4}"))
        page.goto(f"/challenges/{SLUG}/leaderboard?split=private&phase=development")
        expect(page.get_by_text(re.compile("being verified"))).to_be_visible()
    finally:
        page.context.close()
