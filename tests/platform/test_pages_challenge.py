"""The challenge page: safe description, timeline, metric, terms, and audited downloads."""

from __future__ import annotations

import shutil

import pytest

from ultrathon.platform.extensions import db
from ultrathon.platform.models import AuditEvent, TermsAcceptance

PASSWORD = "correct horse battery staple"
DEMO = "breast-cancer-diagnosis"


def logged_in(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def challenge(make_challenge):
    return make_challenge(DEMO)


def test_the_home_page_lists_the_challenge_with_its_close_time(client, challenge):
    page = client.get("/").get_data(as_text=True)
    assert challenge.title in page and f'href="/challenges/{DEMO}"' in page
    assert '<time datetime="2027-02-15T11:00:00+00:00"' in page
    assert client.get("/challenges").location == "/"


def test_the_overview_shows_timeline_countdown_metric_rules_and_files(client, challenge):
    page = client.get(f"/challenges/{DEMO}").get_data(as_text=True)
    assert "<h1>Breast mass diagnosis from fine-needle aspirates</h1>" in page
    # Times in UTC for readers without script, machine-readable for the script, the organisers' zone named.
    assert '<time datetime="2027-02-15T11:00:00+00:00"' in page and "Feb 15, 2027 11:00 UTC" in page
    assert 'data-countdown="2027-02-15T11:00:00+00:00"' in page
    assert "2026-11-02 09:00 +01:00 to 2027-02-15 12:00 +01:00" in page
    assert "<strong>AUROC</strong> ranks the teams — higher is better." in page
    assert "Brier score</strong> (lower is better)" in page
    assert "5 a day per team, 150 in all" in page
    for name in ("train.csv", "test.csv", "sample_submission.csv"):
        assert name in page
    assert "<td>solution.csv" not in page  # the hidden file is not listed
    assert "/files/" not in page  # no download links before login and terms
    assert "<h3>The clinical question</h3>" in page  # the README, its headings below the page's own
    assert page.count("Breast mass diagnosis from fine-needle aspirates</h") == 1  # its title line is not repeated


def test_the_description_renders_markdown_and_no_html_of_its_own(client, make_challenge, tmp_path):
    folder = tmp_path / DEMO
    shutil.copytree(f"challenges/{DEMO}", folder)
    (folder / "README.md").write_text(
        "# Heading\n\n**bold** and a [link](https://example.org).\n\n"
        "<script>alert('readme')</script>\n\n<img src=x onerror=\"alert('img')\">\n\n"
        "[bad](javascript:alert('link'))\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    make_challenge(folder=folder)
    page = client.get(f"/challenges/{DEMO}").get_data(as_text=True)
    assert "<h2>Heading</h2>" in page and "<strong>bold</strong>" in page  # under the page's own h1
    assert '<a href="https://example.org" rel="noopener noreferrer">link</a>' in page
    assert "<td>1</td>" in page
    # Raw HTML in the file shows as text: visible to the organisers who wrote it, never run.
    assert "<script>alert" not in page and "&lt;script&gt;alert('readme')&lt;/script&gt;" in page
    assert "<img" not in page and "&lt;img src=x onerror=" in page
    assert 'href="javascript:' not in page


def test_accepting_the_terms_needs_the_box_ticked_and_stores_version_and_time(client, challenge, make_user):
    user = make_user()
    logged_in(client, user)
    page = client.get(f"/challenges/{DEMO}").get_data(as_text=True)
    assert "I have read and accept these terms (version 1)" in page

    refused = client.post(f"/challenges/{DEMO}/terms", data={}, follow_redirects=True)
    assert "Tick the box to accept the data-use terms; nothing was recorded." in refused.get_data(as_text=True)
    assert db.session.execute(db.select(TermsAcceptance)).first() is None

    client.post(f"/challenges/{DEMO}/terms", data={"accept": "yes"})
    acceptance = db.session.execute(db.select(TermsAcceptance)).scalar_one()
    assert (acceptance.user_id, acceptance.version) == (user.id, "1") and acceptance.accepted_at is not None
    page = client.get(f"/challenges/{DEMO}").get_data(as_text=True)
    assert "You accepted version 1 on" in page
    assert f'href="/challenges/{DEMO}/files/train.csv"' in page


def test_a_download_needs_login_and_terms_and_is_audited(client, challenge, make_user):
    path = f"/challenges/{DEMO}/files/train.csv"
    assert client.get(path).location.startswith("/login?next=")

    user = make_user()
    logged_in(client, user)
    refused = client.get(path)
    assert refused.status_code == 403
    assert "To download <code>train.csv</code>, accept the data-use terms" in refused.get_data(as_text=True)

    client.post(f"/challenges/{DEMO}/terms", data={"accept": "yes"})
    response = client.get(path)
    assert response.status_code == 200
    assert response.data == open(f"challenges/{DEMO}/train.csv", "rb").read()
    assert response.headers["Content-Disposition"] == 'attachment; filename="train.csv"'
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "file.download")).scalar_one()
    assert (event.actor_id, event.challenge_id, event.detail["name"]) == (user.id, challenge.id, "train.csv")


def test_the_hidden_solution_and_unknown_files_are_not_found(client, challenge, make_team):
    team = make_team(challenge)
    logged_in(client, team.memberships[0].user)
    for name in ("solution.csv", "challenge.yaml", "README.md", "..%2Fsolution.csv", "nothing.csv"):
        assert client.get(f"/challenges/{DEMO}/files/{name}").status_code == 404, name
    assert client.get("/challenges/no-such-challenge").status_code == 404


def test_a_metric_with_a_target_value_says_its_ideal_not_a_direction(client, ctx):
    from pathlib import Path

    from ultrathon.platform.challenges.loader import load_challenge_folder
    load_challenge_folder(Path(__file__).resolve().parents[1] / "challenges" / "survival_curve")
    page = client.get("/challenges/survival-curve").get_data(as_text=True)
    assert ("<strong>Calibration at a horizon</strong> (0 is ideal): Mean predicted risk by the horizon less the "
            "Kaplan-Meier risk.</li>") in page
    assert "Calibration at a horizon</strong> (higher is better)" not in page
    assert "<strong>Time-dependent AUC" in page and "is better)" in page  # ranking metrics keep their direction
