"""The organisers' dashboard: who may see it, what it lists, and what its actions do."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta, timezone

import pytest

ORGANISER = "organiser@example.org"  # listed in every demo challenge's YAML
HOSTILE = '<script>alert("x")</script>'


def login(client, user) -> None:
    """Sign the test client in as this user."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


@pytest.fixture
def challenge(make_challenge):
    return make_challenge("breast-cancer-diagnosis")


@pytest.fixture
def organiser(make_user):
    return make_user(ORGANISER, "Olga Organiser")


@pytest.fixture
def organiser_client(client, organiser):
    login(client, organiser)
    return client


def dashboard_url(challenge) -> str:
    return f"/challenges/{challenge.slug}/organise"


def set_created(submission, moment: datetime) -> None:
    """Move a submission's upload time (setting up a history; the service stamps uploads with now)."""
    from ultrathon.platform.extensions import db

    submission.created_at = moment
    db.session.commit()


@pytest.fixture
def score_queued(run_worker):
    """Run the real worker until the queue is empty, then forget what this test's session had loaded."""
    from ultrathon.platform.extensions import db

    def run() -> None:
        run_worker()
        db.session.expire_all()  # the worker wrote through its own session

    return run


def reload(model, id_):
    from ultrathon.platform.extensions import db

    db.session.expire_all()
    return db.session.get(model, id_)


# --- who may see the pages -------------------------------------------------------------------

def organiser_urls(challenge, submission_id: int, team_id: int) -> list[tuple[str, str]]:
    base = dashboard_url(challenge)
    return [
        ("get", base),
        ("get", f"{base}/submissions/{submission_id}"),
        ("get", f"{base}/audit"),
        ("get", f"{base}/scores.csv"),
        ("get", f"{base}/baseline"),
        ("get", f"{base}/upload"),
        ("get", f"{base}/teams/{team_id}/disqualify"),
        ("post", f"{base}/submissions/{submission_id}/rescore"),
        ("post", f"{base}/submissions/{submission_id}/cancel"),
        ("post", f"{base}/rescore"),
        ("post", f"{base}/teams/{team_id}/disqualify"),
        ("post", f"{base}/teams/{team_id}/requalify"),
        ("post", f"{base}/baseline"),
        ("post", f"{base}/upload"),
    ]


def test_every_organiser_page_is_404_for_a_signed_in_competitor(client, challenge, make_team, make_user, make_submission):
    competitor = make_user()
    team = make_team(challenge, [competitor])
    sub = make_submission(challenge, team)
    login(client, competitor)
    for method, url in organiser_urls(challenge, sub.id, team.id) + [("get", "/organise"), ("get", "/organise/challenges/upload")]:
        response = getattr(client, method)(url, data={"reason": "x"})
        assert response.status_code == 404, url
    assert reload(type(sub), sub.id).status == "queued"
    assert reload(type(team), team.id).disqualified_at is None


def test_a_visitor_not_signed_in_is_sent_to_log_in_whether_or_not_the_challenge_exists(client, challenge):
    real = client.get(dashboard_url(challenge))
    made_up = client.get("/challenges/no-such-challenge/organise")
    assert real.status_code == made_up.status_code == 302
    assert "/login" in real.headers["Location"] and "/login" in made_up.headers["Location"]


def test_organisers_listed_in_the_yaml_and_admins_see_the_dashboard(client, challenge, organiser, make_user):
    login(client, organiser)
    page = client.get(dashboard_url(challenge))
    assert page.status_code == 200
    assert challenge.title in page.text
    login(client, make_user("root@example.org", admin=True))
    assert client.get(dashboard_url(challenge)).status_code == 200
    assert client.get("/challenges/no-such-challenge/organise").status_code == 404


def test_the_organise_index_lists_only_organised_challenges(client, make_challenge, make_user):
    ours = make_challenge("breast-cancer-diagnosis")
    from ultrathon.platform.extensions import db

    other = make_challenge("diabetes-progression")
    other.spec = {**other.spec, "organisers": ["someone.else@example.org"]}
    db.session.commit()
    login(client, make_user(ORGANISER))
    page = client.get("/organise")
    assert ours.title in page.text
    assert other.title not in page.text
    assert client.get(dashboard_url(other)).status_code == 404


# --- the submission list ---------------------------------------------------------------------

def test_the_dashboard_lists_submissions_filtered_by_team_status_and_day(organiser_client, challenge, make_team, make_submission):
    alpha, beta = make_team(challenge, name="Alpha"), make_team(challenge, name="Beta")
    a1 = make_submission(challenge, alpha, note="alpha first")
    a2 = make_submission(challenge, alpha, note="alpha second")
    b1 = make_submission(challenge, beta, note="beta only")
    set_created(a1, datetime(2026, 11, 10, 23, 30, tzinfo=timezone.utc))
    set_created(a2, datetime(2026, 11, 12, 8, 0, tzinfo=timezone.utc))
    set_created(b1, datetime(2026, 11, 12, 9, 0, tzinfo=timezone.utc))

    everything = organiser_client.get(dashboard_url(challenge)).text
    assert all(note in everything for note in ("alpha first", "alpha second", "beta only"))
    assert everything.index("beta only") < everything.index("alpha second") < everything.index("alpha first")  # newest first

    by_team = organiser_client.get(dashboard_url(challenge), query_string={"team": beta.id}).text
    assert "beta only" in by_team and "alpha first" not in by_team

    by_day = organiser_client.get(dashboard_url(challenge), query_string={"from": "2026-11-12", "to": "2026-11-12"}).text
    assert "alpha second" in by_day and "beta only" in by_day and "alpha first" not in by_day

    # Days begin in the viewer's zone: 23:30 UTC on the 10th is already the 11th in Paris.
    organiser_client.set_cookie("tz", "Europe/Paris")
    paris = organiser_client.get(dashboard_url(challenge), query_string={"from": "2026-11-11", "to": "2026-11-11"}).text
    assert "alpha first" in paris and "alpha second" not in paris
    assert "Europe/Paris" in paris

    by_status = organiser_client.get(dashboard_url(challenge), query_string={"status": "scored"}).text
    assert "No submissions match these filters" in by_status


def test_bad_filter_values_are_named_and_left_out(organiser_client, challenge, make_submission):
    make_submission(challenge, note="still listed")
    page = organiser_client.get(dashboard_url(challenge), query_string={"status": "done", "from": "12/11/2026", "team": "abc"})
    assert page.status_code == 400
    assert "status: &#39;done&#39; is not one of queued, scoring, scored, failed" in page.text
    assert "from: &#39;12/11/2026&#39; is not a date; use the form YYYY-MM-DD" in page.text
    assert "team: &#39;abc&#39; is not a team of this challenge" in page.text
    assert "still listed" in page.text


@pytest.mark.parametrize("team", ["²", "9" * 30, "9" * 5000])
def test_a_team_that_is_no_whole_number_or_too_large_is_named_and_left_out(organiser_client, challenge, team):
    page = organiser_client.get(dashboard_url(challenge), query_string={"team": team})
    assert page.status_code == 400
    assert f"team: {team!r} is not a team of this challenge".replace("'", "&#39;") in page.text


@pytest.mark.parametrize("where", ["", "/audit"])
@pytest.mark.parametrize("number", ["²", "0", "9" * 30, "9" * 5000])
def test_a_page_number_that_is_no_whole_number_or_too_large_is_refused(organiser_client, challenge, where, number):
    page = organiser_client.get(dashboard_url(challenge) + where, query_string={"page": number})
    assert page.status_code == 400
    shown = repr(number if len(number) <= 40 else number[:39] + "…").replace("'", "&#39;")
    assert f"Query parameter page: {shown} is not a whole number from 1 to 2,147,483,647." in page.text


def test_an_id_too_large_for_the_database_is_404(organiser_client, challenge, make_submission):
    make_submission(challenge)
    for path in (f"/submissions/{2**31}", f"/submissions/{10**30}", f"/teams/{2**31}/disqualify"):
        assert organiser_client.get(dashboard_url(challenge) + path).status_code == 404


def test_the_list_is_paginated(organiser_client, challenge, make_team, make_submission, monkeypatch):
    from ultrathon.platform.organise import listing

    monkeypatch.setattr(listing, "PER_PAGE", 2)
    team = make_team(challenge)
    for i in range(5):
        set_created(make_submission(challenge, team, note=f"note-{i}"), datetime(2026, 11, 10 + i, tzinfo=timezone.utc))
    first = organiser_client.get(dashboard_url(challenge)).text
    assert "note-4" in first and "note-3" in first and "note-2" not in first
    assert "Page 1 of 3" in first
    last = organiser_client.get(dashboard_url(challenge), query_string={"page": 3}).text
    assert "note-0" in last and "note-4" not in last


def test_names_notes_and_reasons_render_as_inert_text(organiser_client, challenge, organiser, make_team, make_submission):
    from ultrathon.platform.submissions.actions import disqualify_team

    team = make_team(challenge, name=HOSTILE)
    sub = make_submission(challenge, team, note='<img src=x onerror="alert(1)">', filename="<b>bold</b>.csv")
    disqualify_team(team, '<a href="javascript:alert(1)">cheating</a>', organiser)
    pages = [
        organiser_client.get(dashboard_url(challenge)).text,
        organiser_client.get(f"{dashboard_url(challenge)}/submissions/{sub.id}").text,
        organiser_client.get(f"{dashboard_url(challenge)}/audit").text,
        organiser_client.get(f"{dashboard_url(challenge)}/teams/{team.id}/disqualify").text,
    ]
    for text in pages:
        assert "<script>alert" not in text
        assert "<img src=x" not in text
        assert '<a href="javascript' not in text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in pages[0]
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in pages[0]
    assert "&lt;a href=&#34;javascript:alert(1)&#34;&gt;cheating&lt;/a&gt;" in pages[0]


# --- actions ---------------------------------------------------------------------------------

def test_rescoring_one_submission_scores_it_again(organiser_client, challenge, make_submission, score_queued):
    from ultrathon.platform.models import AuditEvent, Submission

    sub = make_submission(challenge)
    score_queued()
    first = reload(Submission, sub.id)
    assert first.status == "scored"
    public_before = {s.split: s.value for s in first.scores}

    response = organiser_client.post(f"{dashboard_url(challenge)}/submissions/{sub.id}/rescore",
                                     data={"back": dashboard_url(challenge) + "?status=scored"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(dashboard_url(challenge) + "?status=scored")
    assert reload(Submission, sub.id).status == "queued"
    score_queued()
    again = reload(Submission, sub.id)
    assert again.status == "scored"
    assert {s.split: s.value for s in again.scores} == public_before
    from ultrathon.platform.extensions import db

    actions = db.session.execute(db.select(AuditEvent.action).where(AuditEvent.target_id == str(sub.id))).scalars().all()
    assert "submission.rescore" in actions


def test_rescore_all_queues_every_submission(organiser_client, challenge, make_submission, score_queued):
    from ultrathon.platform.models import Submission

    subs = [make_submission(challenge) for _ in range(2)]
    score_queued()
    response = organiser_client.post(f"{dashboard_url(challenge)}/rescore", follow_redirects=True)
    assert "2 submission(s) queued for re-scoring." in response.text
    assert {reload(Submission, s.id).status for s in subs} == {"queued"}
    score_queued()
    assert {reload(Submission, s.id).status for s in subs} == {"scored"}


def test_cancel_stops_a_queued_submission_and_explains_refusal_of_a_scored_one(organiser_client, challenge, make_submission, score_queued):
    from ultrathon.platform.models import Submission

    queued = make_submission(challenge)
    response = organiser_client.post(f"{dashboard_url(challenge)}/submissions/{queued.id}/cancel", follow_redirects=True)
    assert f"Submission {queued.id} is cancelled." in response.text
    cancelled = reload(Submission, queued.id)
    assert (cancelled.status, cancelled.error) == ("failed", "cancelled by the organisers")

    scored = make_submission(challenge)
    score_queued()
    response = organiser_client.post(f"{dashboard_url(challenge)}/submissions/{scored.id}/cancel", follow_redirects=True)
    assert f"Submission {scored.id}: only a queued submission can be cancelled; this one is scored" in response.text
    assert reload(Submission, scored.id).status == "scored"


def test_the_back_address_never_leaves_the_dashboard(organiser_client, challenge, make_submission):
    sub = make_submission(challenge)
    response = organiser_client.post(f"{dashboard_url(challenge)}/submissions/{sub.id}/rescore", data={"back": "https://evil.example/"})
    assert response.headers["Location"].endswith(dashboard_url(challenge))


def test_another_challenges_submission_or_team_is_404_from_this_dashboard(organiser_client, make_challenge, make_team, make_submission):
    ours = make_challenge("breast-cancer-diagnosis")
    theirs = make_challenge("diabetes-progression")
    team = make_team(theirs)
    sub = make_submission(theirs, team)
    assert organiser_client.post(f"{dashboard_url(ours)}/submissions/{sub.id}/rescore").status_code == 404
    assert organiser_client.post(f"{dashboard_url(ours)}/teams/{team.id}/disqualify", data={"reason": "x"}).status_code == 404


def test_disqualifying_needs_a_reason_and_records_it(organiser_client, challenge, make_team):
    from ultrathon.platform.models import AuditEvent, Team

    team = make_team(challenge, name="Gamma")
    url = f"{dashboard_url(challenge)}/teams/{team.id}/disqualify"
    form = organiser_client.get(url)
    assert '<label for="reason">Reason</label>' in form.text

    empty = organiser_client.post(url, data={"reason": "   "})
    assert empty.status_code == 400
    assert "Give the reason for disqualifying the team" in empty.text
    assert reload(Team, team.id).disqualified_at is None

    done = organiser_client.post(url, data={"reason": "Used the test labels"}, follow_redirects=True)
    assert "Gamma is disqualified." in done.text
    assert "Used the test labels" in done.text
    assert reload(Team, team.id).disqualified_reason == "Used the test labels"
    from ultrathon.platform.extensions import db

    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "team.disqualify")).scalar_one()
    assert event.detail["reason"] == "Used the test labels"

    back = organiser_client.post(f"{dashboard_url(challenge)}/teams/{team.id}/requalify", follow_redirects=True)
    assert "Gamma is back in the competition." in back.text
    assert reload(Team, team.id).disqualified_at is None


def test_a_baseline_is_scored_shown_with_a_badge_and_a_bad_file_is_explained(organiser_client, challenge, score_queued):
    from ultrathon.platform.extensions import db
    from ultrathon.platform.models import Submission, Team

    sample = next(f.content for f in challenge.files if f.name == "sample_submission.csv")
    url = f"{dashboard_url(challenge)}/baseline"
    bad = organiser_client.post(url, data={"file": (io.BytesIO(b"patient_id,wrong\n1,0.5\n"), "bad.csv"), "name": "Prevalence"},
                                content_type="multipart/form-data")
    assert bad.status_code == 400
    assert "The file was not accepted" in bad.text and "probability" in bad.text
    assert db.session.execute(db.select(db.func.count()).select_from(Submission)).scalar_one() == 0

    good = organiser_client.post(url, data={"file": (io.BytesIO(sample), "prevalence.csv"), "name": "Prevalence", "note": "constant"},
                                 content_type="multipart/form-data", follow_redirects=True)
    assert "queued for scoring" in good.text
    score_queued()
    team = db.session.execute(db.select(Team).where(Team.name == "Prevalence")).scalar_one()
    assert team.is_baseline
    page = organiser_client.get(dashboard_url(challenge)).text
    assert re.search(r"Prevalence\s*<span class=\"badge badge-baseline\">baseline</span>", page)
    assert '<span class="badge status-scored">scored</span>' in page


def test_a_baseline_without_a_file_is_told_to_choose_one(organiser_client, challenge):
    page = organiser_client.post(f"{dashboard_url(challenge)}/baseline", data={"name": "B"}, content_type="multipart/form-data")
    assert page.status_code == 400
    assert "Choose the baseline&#39;s prediction CSV file." in page.text


# --- charts, audit, export -------------------------------------------------------------------

def test_charts_are_labelled_with_a_table_of_their_numbers(organiser_client, challenge, make_team, make_submission):
    team = make_team(challenge)
    for day, count in ((10, 3), (12, 1)):
        for _ in range(count):
            set_created(make_submission(challenge, team), datetime(2026, 11, day, 12, tzinfo=timezone.utc))
    page = organiser_client.get(dashboard_url(challenge)).text
    # Issue 13 draws the charts with Chart.js: the labelled <svg> became a labelled canvas.
    assert '<canvas data-chart="submissions-per-day" role="img" aria-label="Submissions per day: ' in page
    assert '<figcaption id="chart-1-caption">Submissions per day</figcaption>' in page
    assert "4 submissions over" in page and "busiest day 2026-11-10 with 3" in page
    assert "<td>2026-11-10</td><td class=\"num\">3</td>" in page
    assert "<td>2026-11-11</td><td class=\"num\">0</td>" in page
    per_day = next(c for c in json.loads(page.split('id="org-charts-data">', 1)[1].split("</script>", 1)[0])
                   if c["key"] == "submissions-per-day")
    assert sum(1 for value in per_day["values"] if value) == 2  # two days with a bar
    assert "Teams over time" in page and "1 team by" in page


def test_the_audit_log_is_newest_first_and_paginated(organiser_client, challenge, organiser):
    from ultrathon.platform.audit import record
    from ultrathon.platform.extensions import db
    from ultrathon.platform.organise import audit_log

    start = datetime(2026, 11, 3, tzinfo=timezone.utc)
    for i in range(audit_log.AUDIT_PER_PAGE + 5):
        record("test.step", actor=organiser, challenge=challenge, step=i).at = start + timedelta(minutes=i)
    db.session.commit()
    first = organiser_client.get(f"{dashboard_url(challenge)}/audit").text
    last_step = audit_log.AUDIT_PER_PAGE + 4
    assert f"<dd>{last_step}</dd>" in first and "<dd>0</dd>" not in first
    assert first.index(f"<dd>{last_step}</dd>") < first.index(f"<dd>{last_step - 1}</dd>")
    assert "Olga Organiser" in first
    second = organiser_client.get(f"{dashboard_url(challenge)}/audit", query_string={"page": 2}).text
    assert "<dd>0</dd>" in second and f"<dd>{last_step}</dd>" not in second


def test_the_csv_export_holds_every_submission_with_scores_and_defuses_formulas(organiser_client, challenge, make_team, make_submission, score_queued):
    scored = make_submission(challenge, make_team(challenge, name="=HYPERLINK(\"http://evil\")"), note="+1 great")
    score_queued()
    waiting = make_submission(challenge, note="@SUM(A1)")
    response = organiser_client.get(f"{dashboard_url(challenge)}/scores.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [int(r["submission_id"]) for r in rows] == [scored.id, waiting.id]
    first, second = rows
    assert first["team"] == "'=HYPERLINK(\"http://evil\")"
    assert first["note"] == "'+1 great" and second["note"] == "'@SUM(A1)"
    assert first["status"] == "scored" and second["status"] == "queued"
    assert float(first["public_roc_auc"]) == pytest.approx(float(first["public_metric_roc_auc"]))
    assert float(first["public_ci_low"]) <= float(first["public_roc_auc"]) <= float(first["public_ci_high"])
    assert first["private_roc_auc"] != "" and first["private_metric_brier"] != ""
    assert second["public_roc_auc"] == "" and second["scored_at"] == ""
    assert first["created_at"].endswith("+00:00")


def test_csv_safe_prefixes_only_text_that_a_spreadsheet_would_run():
    from ultrathon.platform.organise.exports import csv_safe

    assert [csv_safe(v) for v in ("=1+1", "+1", "-2", "@A1", "\tx", "plain", -0.5, 3)] == ["'=1+1", "'+1", "'-2", "'@A1", "'\tx", "plain", -0.5, 3]


def test_the_submission_page_shows_organisers_every_metric_subgroup_and_error_detail(organiser_client, make_challenge, make_submission, score_queued):
    from ultrathon.platform.extensions import db

    challenge = make_challenge("diabetes-progression")
    sub = make_submission(challenge, note="first try")
    score_queued()
    page = organiser_client.get(f"{dashboard_url(challenge)}/submissions/{sub.id}").text
    assert "<td>rmse</td>" in page and "<td>mae</td>" in page
    assert "<caption class=\"visually-hidden\">Private rmse by subgroup</caption>" in page
    assert re.search(r"<td>sex</td><td>\w+</td>", page)

    sub.error, sub.error_detail = "scoring failed; the organisers have been told", "Traceback: ValueError in metric"
    db.session.commit()
    page = organiser_client.get(f"{dashboard_url(challenge)}/submissions/{sub.id}").text
    assert "Detail for organisers" in page and "Traceback: ValueError in metric" in page
