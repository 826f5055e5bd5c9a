"""A team's whole path in a real browser, in each language, served as production serves it and scored by a real worker."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import IN_EVERY_LANGUAGE, SUBMIT, choose_language, expect_language, flash, log_in, new_page, register

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DEMO = "breast-cancer-diagnosis"
PASSWORD = "correct horse battery staple"
ZONE = "America/Santiago"  # far from UTC, so a time left in UTC would show
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot-submissions.png"


def worst_radius_predictions() -> bytes:
    """Return a simple but informative submission: the largest nucleus radius, scaled to [0, 1]."""
    import pandas as pd

    test = pd.read_csv(Path(f"challenges/{DEMO}") / "test.csv")
    radius = test["worst_radius"]
    scaled = ((radius - radius.min()) / (radius.max() - radius.min())).round(4)
    return pd.DataFrame({"patient_id": test["patient_id"], "probability": scaled}).to_csv(index=False).encode()


@IN_EVERY_LANGUAGE
def test_a_team_registers_submits_is_scored_live_chooses_a_final_and_a_second_user_joins(
        browser, live_server, live_worker, make_open_challenge, make_user, screenshot, tmp_path, language):
    def shot(page, name):
        page.wait_for_load_state("load")  # deferred scripts have put times in the viewer's zone
        return screenshot(page, name if language == "en" else f"{name}-{language}")

    challenge = make_open_challenge(DEMO)
    page = new_page(browser, live_server, language, timezone_id=ZONE)
    try:
        register_and_verify(page, shot, language)
        sample = accept_terms_and_download(page, shot, tmp_path)
        invite_link = create_team(page, shot, language)
        upload_and_choose_a_final(page, shot, sample, language)
        create_a_token(page, shot)
    finally:
        page.context.close()

    # A second user, whose browser speaks another language, picks this one in the header, logs in and joins.
    second = make_user("grace@example.org", "Grace")
    page = new_page(browser, live_server, "da" if language == "en" else "en")
    try:
        join_through_the_invite(page, shot, second, invite_link.replace(live_server, ""), language)
    finally:
        page.context.close()
    assert challenge.id  # the challenge the factory loaded is the one the browser used


def register_and_verify(page, shot, language) -> None:
    """Register, then follow the verification link the server mailed (logged: no SMTP here)."""
    page.goto("/register")
    expect_language(page, language)
    shot(page, "register")
    register(page, "ada@example.org", "Ada", PASSWORD)
    expect(flash(page)).to_contain_text("Ada")
    expect_language(page, language)
    from ultrathon.platform.auth.service import find_user
    from ultrathon.platform.governance.verification import make_verify_token

    page.goto(f"/verify-email/{make_verify_token(find_user('ada@example.org'))}")
    expect(flash(page).locator(".flash-success")).to_contain_text("ada@example.org")


def accept_terms_and_download(page, shot, tmp_path) -> Path:
    """On the challenge page, with times in the viewer's zone, accept the terms and download the sample file."""
    page.goto(f"/challenges/{DEMO}")
    closes = page.locator("dd time").nth(1)
    assert ZONE in closes.inner_text() and "UTC" not in closes.inner_text()
    assert re.search(r"\d+", page.locator(".countdown").last.inner_text())
    shot(page, "challenge")
    page.locator("#accept-terms").check()
    page.locator(f'form[action$="/terms"] {SUBMIT}').click()
    expect(page.locator("#accept-terms")).to_have_count(0)
    with page.expect_download() as download:
        page.locator('a[href$="/sample_submission.csv"]').click()
    sample = tmp_path / "sample_submission.csv"
    download.value.save_as(sample)
    assert sample.read_bytes() == (Path(f"challenges/{DEMO}") / "sample_submission.csv").read_bytes()
    return sample


def create_team(page, shot, language) -> str:
    """Create the team and return its invite link."""
    page.goto(f"/challenges/{DEMO}/team")
    page.locator("#create-name").fill("Night Owls")
    page.locator(f'form[action$="/team"] {SUBMIT}').click()
    expect(page.locator("h1 .team-name")).to_have_text("Night Owls")
    expect_language(page, language)
    shot(page, "team")
    return page.locator("#invite-link").input_value()


def upload(page, file, note: str | None = None) -> None:
    """Choose a file, write a note, and press Upload."""
    page.locator("#upload-file").set_input_files(file)
    if note is not None:
        page.locator("#upload-note").fill(note)
    page.locator("#upload-button").click()


def upload_and_choose_a_final(page, shot, sample: Path, language) -> None:
    """Upload two files scored live, a huge and a broken one refused, and choose a final."""
    page.goto(f"/challenges/{DEMO}/submissions")
    expect_language(page, language)
    page.evaluate("window.sameDocument = true")
    # A valid file: its row turns scored without a reload.
    upload(page, str(sample), "sample file, to see the path work")
    row = page.locator("#submissions tbody tr[data-id]").first
    row.wait_for()
    page.wait_for_selector('#submissions tr[data-status="scored"]', timeout=45_000)
    page.audit()  # the row the page added
    assert page.evaluate("window.sameDocument") is True  # no reload happened
    assert re.search(r"0[.,]\d{4}", row.locator("td.score").first.inner_text())
    expect(page.locator(".quota-left")).to_have_text("4")

    # A second, informative file: its row joins the table on top, scored too.
    upload(page, {"name": "worst-radius.csv", "mimeType": "text/csv", "buffer": worst_radius_predictions()},
           "worst radius, min-max scaled")
    expect(page.locator('#submissions tbody tr[data-status="scored"]')).to_have_count(2, timeout=45_000)
    assert page.evaluate("window.sameDocument") is True
    expect(page.locator(".quota-left")).to_have_text("3")

    # A file over the challenge's 1 MB is stopped in the browser, before any byte is sent.
    uploads = []
    page.on("request", lambda request: uploads.append(request) if request.method == "POST" else None)
    page.locator("#upload-file").set_input_files(
        {"name": "huge.csv", "mimeType": "text/csv", "buffer": b"patient_id,probability\n" + b"P00001,0.5\n" * 100_000})
    error = page.locator("#upload-error")
    expect(error).to_contain_text(re.compile(r"1[.,]05 MB"))
    page.audit()
    page.locator("#upload-button").click()
    expect(error).to_be_visible()
    if language == "en":
        expect(error).to_contain_text("Nothing was uploaded.")

    # A broken file: the error names its row and column.
    upload(page, {"name": "broken.csv", "mimeType": "text/csv", "buffer": b"patient_id,probability\nP00001,0.5\nP00002,1.7\n"})
    problem = error.locator("table.problems tbody tr").first
    problem.wait_for(timeout=30_000)
    expect(problem.locator("td")).to_have_text(["3", "probability", re.compile(r"1[.,]7")])
    page.audit()
    assert len(uploads) == 1  # only the broken file reached the server; the huge one never left
    shot(page, "submissions-error")

    # Choose the informative one as final.
    informative = page.locator('#submissions tbody tr[data-status="scored"]').first
    chosen = informative.get_attribute("data-id")
    informative.locator(f'form[action$="/selection"] {SUBMIT}').click()
    expect(page.locator(f"#sub-{chosen}")).to_have_attribute("data-selected", "yes")
    expect(flash(page)).to_be_visible()
    expect(page.locator("#final-summary")).to_contain_text(re.compile(r"1\D+2"))
    path = shot(page, "submissions")
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") and language == "en":  # on request only: tracked files stay
        shutil.copyfile(path, DOCS_SCREENSHOT)


def create_a_token(page, shot) -> None:
    """Create an API token, then see the submissions fold to one column on a phone."""
    page.goto("/account")
    page.locator("#token-name").fill("laptop")
    page.locator(f'form[action$="/account/tokens"] {SUBMIT}').click()
    expect(page.locator("#new-token")).to_have_value(re.compile("^ut_"))
    shot(page, "account")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the layout folds to one column
    page.goto(f"/challenges/{DEMO}/submissions")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    shot(page, "submissions-phone")


def join_through_the_invite(page, shot, second, invite_path: str, language) -> None:
    """Follow the invite link, pick the language in the header, log in and join the team."""
    page.goto(invite_path)
    page.wait_for_url("**/login?next=*")
    choose_language(page, language)
    page.wait_for_url("**/login?next=*")
    shot(page, "login")
    log_in(page, second.email, PASSWORD)
    expect(page.locator("#join-h .team-name")).to_have_text("Night Owls")
    expect_language(page, language)
    page.locator("#accept-join").check()
    page.locator(f'form[action$="/team/join"] {SUBMIT}').click()
    expect(flash(page)).to_contain_text("Night Owls")
    expect(page.locator("ul.members li")).to_have_count(2)
    expect(page.locator("#members-h")).to_contain_text(re.compile(r"2\D+5"))
