"""A team's whole path in a real browser, served as production serves it and scored by a real worker."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

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


def new_page(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900}, timezone_id=ZONE, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def test_a_team_registers_submits_is_scored_live_chooses_a_final_and_a_second_user_joins(
        browser, live_server, live_worker, make_open_challenge, make_user, screenshot, tmp_path):
    def shot(page, name):
        page.wait_for_load_state("load")  # deferred scripts have put times in the viewer's zone
        return screenshot(page, name)

    challenge = make_open_challenge(DEMO)
    page = new_page(browser, live_server)
    try:
        # Register.
        page.goto("/register")
        shot(page, "register")
        page.get_by_label("E-mail address").fill("ada@example.org")
        page.get_by_label("Display name").fill("Ada")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Repeat the password").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        page.wait_for_url("**/")
        expect(page.get_by_text("Welcome, Ada.")).to_be_visible()
        # Follow the verification link the server mailed (logged: no SMTP here); signed with the shared secret.
        from ultrathon.platform.auth.service import find_user
        from ultrathon.platform.governance.verification import make_verify_token

        page.goto(f"/verify-email/{make_verify_token(find_user('ada@example.org'))}")
        expect(page.get_by_text("Your e-mail address ada@example.org is verified.")).to_be_visible()

        # The challenge page: times in the viewer's zone, named; accept the terms; download the data.
        page.goto(f"/challenges/{DEMO}")
        closes = page.locator("dd time").nth(1)
        assert ZONE in closes.inner_text() and "UTC" not in closes.inner_text()
        assert re.search(r"in \d+ days", page.locator(".countdown").last.inner_text())
        shot(page, "challenge")
        page.get_by_label(re.compile("I have read and accept these terms")).check()
        page.get_by_role("button", name="Accept the terms").click()
        expect(page.get_by_text("You accepted the data-use terms")).to_be_visible()
        with page.expect_download() as download:
            page.get_by_role("link", name="sample_submission.csv").click()
        sample = tmp_path / "sample_submission.csv"
        download.value.save_as(sample)
        assert sample.read_bytes() == (Path(f"challenges/{DEMO}") / "sample_submission.csv").read_bytes()

        # Create a team.
        page.goto(f"/challenges/{DEMO}/team")
        page.get_by_label("Team name").fill("Night Owls")
        page.get_by_role("button", name="Create the team").click()
        expect(page.get_by_role("heading", name="Team Night Owls")).to_be_visible()
        invite_link = page.get_by_label("Invite link").input_value()
        shot(page, "team")

        # Upload a valid file and watch its row turn scored without a reload.
        page.goto(f"/challenges/{DEMO}/submissions")
        page.evaluate("window.sameDocument = true")
        page.get_by_label("Prediction file (CSV)").set_input_files(str(sample))
        page.get_by_label(re.compile("^Note")).fill("sample file, to see the path work")
        page.get_by_role("button", name="Upload").click()
        row = page.locator("#submissions tbody tr[data-id]").first
        row.wait_for()
        page.wait_for_selector('#submissions tr[data-status="scored"]', timeout=45_000)
        assert page.evaluate("window.sameDocument") is True  # no reload happened
        assert re.search(r"0\.\d{4}", row.locator("td.score").first.inner_text())
        expect(page.locator(".quota-left")).to_have_text("4")

        # A second, informative file: its row joins the table on top, scored too.
        page.get_by_label("Prediction file (CSV)").set_input_files(
            {"name": "worst-radius.csv", "mimeType": "text/csv", "buffer": worst_radius_predictions()})
        page.get_by_label(re.compile("^Note")).fill("worst radius, min-max scaled")
        page.get_by_role("button", name="Upload").click()
        expect(page.locator('#submissions tbody tr[data-status="scored"]')).to_have_count(2, timeout=45_000)
        assert page.evaluate("window.sameDocument") is True
        expect(page.locator(".quota-left")).to_have_text("3")

        # A file over the challenge's 1 MB is stopped in the browser, before any byte is sent.
        uploads = []
        page.on("request", lambda request: uploads.append(request) if request.method == "POST" else None)
        page.get_by_label("Prediction file (CSV)").set_input_files(
            {"name": "huge.csv", "mimeType": "text/csv", "buffer": b"patient_id,probability\n" + b"P00001,0.5\n" * 100_000})
        expect(page.locator("#upload-error")).to_contain_text(re.compile(r"the file is 1\.05 MB; this challenge accepts files up to 1 MB"))
        page.get_by_role("button", name="Upload").click()
        expect(page.locator("#upload-error")).to_contain_text("Nothing was uploaded.")

        # Upload a broken file and read the row/column error.
        page.get_by_label("Prediction file (CSV)").set_input_files(
            {"name": "broken.csv", "mimeType": "text/csv", "buffer": b"patient_id,probability\nP00001,0.5\nP00002,1.7\n"})
        page.get_by_role("button", name="Upload").click()
        error = page.locator("#upload-error")
        error.wait_for(state="visible", timeout=30_000)
        assert "Invalid submission file" in error.inner_text()
        assert re.search(r"3\s+probability\s+probability 1.7 is outside \[0, 1\]", error.inner_text())
        assert len(uploads) == 1  # only the broken file reached the server; the huge one never left
        shot(page, "submissions-error")

        # Choose the informative one as final.
        page.get_by_role("button", name=re.compile("Choose submission \\d+ as final")).first.click()
        expect(page.get_by_text(re.compile("is now one of your final submissions"))).to_be_visible()
        expect(page.locator("#final-summary")).to_contain_text("1 of 2 chosen")
        path = shot(page, "submissions")
        if os.environ.get("UPDATE_DOCS_SCREENSHOTS"):  # on request only: a test run leaves tracked files alone
            shutil.copyfile(path, DOCS_SCREENSHOT)

        page.goto("/account")
        page.get_by_label("Token name").fill("laptop")
        page.get_by_role("button", name="Create a token").click()
        assert page.get_by_label("New API token").input_value().startswith("ut_")
        shot(page, "account")
        page.set_viewport_size({"width": 390, "height": 844})  # a phone: the layout folds to one column
        page.goto(f"/challenges/{DEMO}/submissions")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
        shot(page, "submissions-phone")
    finally:
        page.context.close()

    # A second user logs in and joins through the invite link.
    second = make_user("grace@example.org", "Grace")
    page = new_page(browser, live_server)
    try:
        page.goto(invite_link.replace(live_server, ""))
        page.wait_for_url("**/login?next=*")
        shot(page, "login")
        page.get_by_label("E-mail address").fill(second.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Join team Night Owls")).to_be_visible()
        page.get_by_label(re.compile("I accept the challenge's")).first.check()
        page.get_by_role("button", name="Join the team").click()
        expect(page.get_by_text("You joined team “Night Owls”.")).to_be_visible()
        expect(page.get_by_role("heading", name=re.compile(r"Members \(2 of at most 5\)"))).to_be_visible()
    finally:
        page.context.close()
    assert challenge.id  # the challenge the factory loaded is the one the browser used
