"""The upload, the team page and the leaderboard with the keyboard alone: Tab, Shift+Tab, Enter and Space."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.journeys import SUBMIT, log_in, new_page
from tests.e2e.keyboard import assert_focus_visible, has_focus, tab_to
from tests.platform.phase_support import SLUG, phased_folder, predictions

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ORGANISER = "organiser@example.org"  # listed in the demo challenge's YAML


@pytest.fixture
def open_page(browser, live_server):
    """Open English pages, each in its own browser context, checked by axe; close them all at the end."""
    pages = []

    def open_one():
        pages.append(new_page(browser, live_server, "en"))
        return pages[-1]

    yield open_one
    for page in pages:
        page.context.close()


def logged_in(open_page, email: str, path: str):
    """Return a page logged in as the user, showing the path."""
    page = open_page()
    page.goto(f"/login?next={path}")
    log_in(page, email, PASSWORD)
    page.wait_for_url(re.compile(re.escape(path) + "$"))
    return page


def from_the_top(page) -> None:
    """Start the keyboard at the top of the page, as a freshly loaded page does."""
    page.locator("body").focus()
    page.evaluate("() => document.activeElement.blur()")


def test_a_file_is_chosen_and_uploaded_with_the_keyboard_alone(open_page, make_open_challenge, make_team, make_user):
    challenge = make_open_challenge()
    make_team(challenge, [make_user("ada@example.org", "Ada")], name="Night Owls")
    page = logged_in(open_page, "ada@example.org", f"/challenges/{challenge.slug}/submissions")
    chooser, note, button = page.locator("#upload-file"), page.locator("#upload-note"), page.locator("#upload-button")
    from_the_top(page)
    tab_to(page, chooser)
    assert_focus_visible(page)
    # A native file dialog cannot be driven: the chosen file is set on the input the keyboard reached.
    sample = next(f.content for f in challenge.files if f.name == "sample_submission.csv")
    chooser.set_input_files({"name": "keyboard.csv", "mimeType": "text/csv", "buffer": sample})
    page.keyboard.press("Tab")
    assert has_focus(note)
    page.keyboard.type("sent with the keyboard")
    page.keyboard.press("Tab")
    assert has_focus(button)
    assert_focus_visible(page)
    page.keyboard.press("Shift+Tab")
    assert has_focus(note)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    row = page.locator("#submissions tbody tr[data-id]")
    expect(row).to_have_count(1)
    expect(row.locator(".note")).to_have_text("sent with the keyboard")
    # The button was disabled while sending, which drops the focus: it comes back to the button.
    expect(button).to_be_enabled()
    assert has_focus(button)
    page.audit()


def test_a_team_is_created_and_joined_with_the_keyboard_alone(open_page, make_challenge, make_user):
    challenge = make_challenge()
    make_user("ada@example.org", "Ada")
    make_user("grace@example.org", "Grace")
    path = f"/challenges/{challenge.slug}/team"
    page = logged_in(open_page, "ada@example.org", path)
    from_the_top(page)
    tab_to(page, page.locator("#create-name"))
    page.keyboard.type("Keyboard Crew")
    page.keyboard.press("Tab")
    assert has_focus(page.locator("#accept-create"))
    assert_focus_visible(page)
    page.keyboard.press("Space")
    expect(page.locator("#accept-create")).to_be_checked()
    tab_to(page, page.locator(f'form[action$="/team"] {SUBMIT}'), limit=2)  # past the terms' link
    page.keyboard.press("Enter")
    expect(page.locator("h1 .team-name")).to_have_text("Keyboard Crew")
    code = page.locator("#invite-code").input_value()

    page = logged_in(open_page, "grace@example.org", path)
    from_the_top(page)
    tab_to(page, page.locator("#join-code"))
    page.keyboard.type(code)
    page.keyboard.press("Tab")
    assert has_focus(page.locator("#accept-join"))
    page.keyboard.press("Space")
    tab_to(page, page.locator(f'form[action$="/team/join"] {SUBMIT}'), limit=2)
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("h1 .team-name")).to_have_text("Keyboard Crew")
    expect(page.locator("ul.members li")).to_have_count(2)


@pytest.fixture
def phased_board(make_challenge, make_user, make_team, make_submission, run_worker, tmp_path):
    """A two-phase challenge in its development phase, with two teams scored on its board."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    folder = phased_folder(tmp_path, {"development": (now - timedelta(days=1), now + timedelta(hours=1)),
                                      "final": (now + timedelta(hours=2), now + timedelta(hours=3))})
    challenge = make_challenge(folder=folder)
    make_user(ORGANISER, "Olga Organiser")
    for seed, name in enumerate(("Night Owls", "Early Birds")):
        make_submission(challenge, make_team(challenge, name=name), predictions(folder, "development", 0.1 * (seed + 1), seed))
    run_worker()
    return challenge


def test_the_leaderboard_phase_and_split_pickers_work_with_the_keyboard(open_page, phased_board):
    page = logged_in(open_page, ORGANISER, f"/challenges/{SLUG}/leaderboard")
    expect(page.locator("tr[data-team-id]")).to_have_count(2)
    phases = page.locator("nav.lb-phases")
    splits = page.locator("nav.lb-tabs:not(.lb-phases)")
    from_the_top(page)
    final = phases.locator('a[href*="phase=final"]')
    tab_to(page, final)
    assert_focus_visible(page)
    page.keyboard.press("Shift+Tab")
    assert has_focus(phases.locator('a[href*="phase=development"]'))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"phase=final"))
    expect(phases.locator('a[href*="phase=final"]')).to_have_attribute("aria-current", "page")

    from_the_top(page)
    private = splits.locator('a[href*="split=private"]')
    tab_to(page, private)
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"split=private"))
    expect(splits.locator('a[href*="split=private"]')).to_have_attribute("aria-current", "page")

    from_the_top(page)
    tab_to(page, phases.locator('a[href$="/leaderboard/combined"]'))
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/leaderboard/combined$"))
    expect(page.locator("#lb-combined")).to_be_visible()
