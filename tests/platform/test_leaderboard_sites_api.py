"""Several sites in the leaderboard API and its CSV: the document describes every field, the CSV has each site's columns."""

from __future__ import annotations

import csv
import io
import json

from flask import Flask

from tests.platform.test_leaderboard_sites_page import two_sites_one_pending
from ultrathon.platform.api.openapi import openapi_document

PATH = "/api/v1/challenges/{slug}/leaderboard"


def documented(name: str) -> set[str]:
    return set(openapi_document()["components"]["schemas"][name]["properties"])


def test_the_openapi_document_describes_every_field_of_a_site_leaderboard(
        client, site_challenge, agent_token, make_submission, make_team):  # noqa: F811
    import schemathesis

    challenge = site_challenge("worst")
    waiting = two_sites_one_pending(client, challenge, agent_token, make_submission, make_team)
    response = client.get(PATH.format(slug=challenge.slug))
    assert response.status_code == 200
    schemathesis.openapi.from_dict(openapi_document())[PATH]["GET"].validate_response(response)
    board = response.get_json()
    assert board["sites"] == ["odense", "copenhagen"] and board["combine"] == "worst"
    (pending,) = board["pending"]
    assert pending["submission_id"] == waiting.id and pending["sites"]["copenhagen"] == "pending"
    # The schemas leave other properties open: the site fields must be named in them to be checked at all.
    assert {"sites", "combine", "pending"} <= documented("Leaderboard")
    assert "sites" in documented("LeaderboardEntry") and set(pending) <= documented("PendingEntry")
    figures = openapi_document()["components"]["schemas"]["SiteFigures"]["oneOf"][0]
    assert set(board["entries"][0]["sites"]["odense"]) == set(figures["properties"])


def test_the_schema_refuses_a_site_column_that_is_neither_figures_nor_pending(
        client, site_challenge, agent_token, make_submission, make_team):  # noqa: F811
    import schemathesis

    challenge = site_challenge()
    two_sites_one_pending(client, challenge, agent_token, make_submission, make_team)
    operation = schemathesis.openapi.from_dict(openapi_document())[PATH]["GET"]
    board = client.get(PATH.format(slug=challenge.slug)).get_json()

    def fits(document) -> bool:
        echo = Flask("echo")  # answers with this document, as a response schemathesis can read
        echo.add_url_rule("/", view_func=lambda: document)
        try:
            operation.validate_response(echo.test_client().get("/"))
        except Exception:  # schemathesis raises its own failure group
            return False
        return True

    assert fits(board)
    for change in (lambda b: b["pending"][0]["sites"].update(copenhagen="waiting"),
                   lambda b: b["entries"][0]["sites"]["odense"].update(score="high"),
                   lambda b: b.update(combine="median"),
                   lambda b: b["pending"][0].update(rank=1)):
        changed = json.loads(json.dumps(board))
        change(changed)
        assert not fits(changed)


def test_the_csv_export_has_each_sites_score_and_interval(client, site_challenge, agent_token, make_submission,
                                                          make_team):  # noqa: F811
    challenge = site_challenge()
    two_sites_one_pending(client, challenge, agent_token, make_submission, make_team)
    board = client.get(PATH.format(slug=challenge.slug)).get_json()
    response = client.get(f"/challenges/{challenge.slug}/leaderboard.csv")
    assert response.status_code == 200
    (row,) = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    header = list(row)
    assert header[-6:] == ["odense_score", "odense_ci_low", "odense_ci_high",
                           "copenhagen_score", "copenhagen_ci_low", "copenhagen_ci_high"]
    entry = board["entries"][0]
    for site in ("odense", "copenhagen"):
        for name in ("score", "ci_low", "ci_high"):
            assert float(row[f"{site}_{name}"]) == entry["sites"][site][name]
    assert row["team"] == "Both sites" and row["rank"] == "1"


def test_a_csv_without_sites_has_no_site_columns(client, make_challenge):
    challenge = make_challenge()
    header = client.get(f"/challenges/{challenge.slug}/leaderboard.csv").get_data(as_text=True).splitlines()[0]
    assert not any(column.endswith("_ci_low") and column != "ci_low" for column in header.split(","))
