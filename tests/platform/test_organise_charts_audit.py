"""The dashboard's charts as Chart.js canvases fed by JSON, and the audit log's pages."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest

ORGANISER = "organiser@example.org"  # listed in every demo challenge's YAML


@pytest.fixture
def challenge(make_challenge):
    return make_challenge("breast-cancer-diagnosis")


@pytest.fixture
def organiser(make_user):
    return make_user(ORGANISER, "Olga Organiser")


@pytest.fixture
def organiser_client(client, organiser):
    with client.session_transaction() as session:
        session["_user_id"] = organiser.get_id()
        session["_fresh"] = True
    return client


def dashboard_url(challenge) -> str:
    return f"/challenges/{challenge.slug}/organise"


def chart_series(page: str) -> dict[str, dict]:
    """Return the JSON block the dashboard hands to organise.js, keyed by the canvas it feeds."""
    block = re.search(r'<script type="application/json" id="org-charts-data">(.*?)</script>', page, re.S)
    assert block, "the dashboard carries its chart data"
    return {series["key"]: series for series in json.loads(block.group(1))}


def test_charts_are_labelled_canvases_fed_by_json_with_a_table_of_their_numbers(
        organiser_client, challenge, make_team, make_submission):
    from ultrathon.platform.extensions import db

    team = make_team(challenge)
    for day, count in ((10, 3), (12, 1)):
        for _ in range(count):
            make_submission(challenge, team).created_at = datetime(2026, 11, day, 12, tzinfo=timezone.utc)
    db.session.commit()
    page = organiser_client.get(dashboard_url(challenge)).text

    assert '<canvas data-chart="submissions-per-day" role="img" aria-label="Submissions per day: 4 submissions over' in page
    assert '<canvas data-chart="teams-over-time" role="img" aria-label="Teams over time: 1 team by' in page
    assert "<svg" not in page
    series = chart_series(page)
    per_day = dict(zip(series["submissions-per-day"]["days"], series["submissions-per-day"]["values"]))
    assert (per_day["2026-11-10"], per_day["2026-11-11"], per_day["2026-11-12"]) == (3, 0, 1)
    assert sum(per_day.values()) == 4
    assert series["submissions-per-day"]["style"] == "bar" and series["teams-over-time"]["style"] == "step"
    assert series["teams-over-time"]["values"][-1] == 1
    # The same figures as text, for screen readers and pages without script.
    assert "<td>2026-11-12</td><td class=\"num\">1</td>" in page
    assert "The charts need JavaScript" in page


def test_the_dashboard_loads_the_vendored_chart_library_before_its_own_script(organiser_client, challenge):
    page = organiser_client.get(dashboard_url(challenge)).text
    assert page.index('src="/static/vendor/chart.umd.min.js" defer') < page.index('src="/static/js/organise.js" defer')
    assert "<script>" not in page  # the policy runs no inline script


def test_the_dashboard_pager_keeps_the_filters(organiser_client, challenge, make_team, make_submission, monkeypatch):
    from ultrathon.platform.organise import listing

    monkeypatch.setattr(listing, "PER_PAGE", 2)
    team = make_team(challenge)
    for _ in range(3):
        make_submission(challenge, team)
    page = organiser_client.get(dashboard_url(challenge), query_string={"team": team.id, "status": "queued"}).text
    assert "Page 1 of 2" in page
    older = re.search(r'<a href="([^"]*)">Older', page).group(1)
    assert "page=2" in older and f"team={team.id}" in older and "status=queued" in older


def add_events(challenge, organiser, count: int) -> None:
    from ultrathon.platform.audit import record
    from ultrathon.platform.extensions import db

    start = datetime(2026, 11, 3, tzinfo=timezone.utc)
    for i in range(count):
        record("test.step", actor=organiser, challenge=challenge, step=i).at = start + timedelta(minutes=i)
    db.session.commit()


def test_the_audit_pager_links_between_pages(organiser_client, challenge, organiser):
    from ultrathon.platform.organise.audit_log import AUDIT_PER_PAGE

    add_events(challenge, organiser, AUDIT_PER_PAGE)  # with the challenge's own load event, one more than a page
    audit = f"{dashboard_url(challenge)}/audit"
    first = organiser_client.get(audit).text
    assert f"{AUDIT_PER_PAGE + 1} events, newest first." in first
    assert first.count("<code>") == AUDIT_PER_PAGE
    assert "Page 1 of 2" in first and f'href="{audit}?page=2">Older' in first and "Newer" not in first
    second = organiser_client.get(audit, query_string={"page": 2}).text
    assert "Page 2 of 2" in second and f'href="{audit}?page=1">' in second and "Older" not in second
    assert second.count("<code>") == 1


def test_an_audit_page_past_the_end_shows_the_last_page(organiser_client, challenge, organiser):
    add_events(challenge, organiser, 3)
    page = organiser_client.get(f"{dashboard_url(challenge)}/audit", query_string={"page": 99}).text
    assert page.count("<code>test.step</code>") == 3 and "Olga Organiser" in page
    assert "Page 1 of" not in page  # one page: no pager


@pytest.mark.parametrize("bad", ["0", "-1", "two", "1.5"])
def test_an_audit_page_that_is_not_a_whole_number_is_refused_with_a_message(organiser_client, challenge, bad):
    response = organiser_client.get(f"{dashboard_url(challenge)}/audit", query_string={"page": bad})
    assert response.status_code == 400
    assert "Query parameter page" in response.text and "Traceback" not in response.text


def test_an_empty_audit_log_says_so(organiser_client, challenge):
    from ultrathon.platform.extensions import db
    from ultrathon.platform.models import AuditEvent

    db.session.execute(db.delete(AuditEvent))  # the challenge's load event
    db.session.commit()
    page = organiser_client.get(f"{dashboard_url(challenge)}/audit").text
    assert "0 events, newest first." in page and "Nothing has been recorded yet." in page
