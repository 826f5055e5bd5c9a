"""Each site's score on a team's submissions page, the organiser's submission page and the API's submission."""

from __future__ import annotations

from tests.platform.agent_support import SITES
from tests.platform.test_agent_sites import post_site, uneven_predictions
from tests.platform.test_leaderboard_pages import close, login


def odense_reported(client, challenge, agent_token, make_submission, make_team):  # noqa: F811
    """Return a team and its submission that odense has scored and copenhagen not yet."""
    tokens = {site: agent_token(challenge, name=site, site=site)[1] for site in SITES}
    team = make_team(challenge, name="Odense only")
    submission = make_submission(challenge, team=team, data=uneven_predictions())
    post_site(client, challenge, tokens["odense"], "odense", uneven_predictions())
    return team, submission, tokens


def site_items(html: str, site: str) -> list[str]:
    """Return the text of each site list item of one site, in page order."""
    import re

    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m)).strip() for m in re.findall(rf'<li data-site="{site}">(.*?)</li>', html, re.S)]


def test_the_api_gives_each_sites_score_pending_and_no_private_before_the_close(
        client, site_challenge, agent_token, make_submission, make_team, token_for):  # noqa: F811
    challenge = site_challenge()
    team, submission, tokens = odense_reported(client, challenge, agent_token, make_submission, make_team)
    headers = token_for(team.memberships[0].user)
    sites = client.get(f"/api/v1/submissions/{submission.id}", headers=headers).get_json()["sites"]
    assert sites["public"]["copenhagen"] == "pending" and sites["private"] is None
    odense = sites["public"]["odense"]
    assert odense["score"] == 1.0 and odense["ci_low"] <= odense["score"] <= odense["ci_high"] and odense["n_rows"] > 0

    post_site(client, challenge, tokens["copenhagen"], "copenhagen", uneven_predictions())
    close(challenge)
    done = client.get(f"/api/v1/submissions/{submission.id}", headers=headers).get_json()
    assert done["status"] == "scored" and done["sites"]["public"]["copenhagen"]["score"] == 0.0
    assert set(done["sites"]["private"]) == set(SITES) and "pending" not in done["sites"]["private"].values()


def test_a_challenge_without_sites_gives_null_sites(client, make_open_challenge, make_submission, token_for):
    challenge = make_open_challenge()
    submission = make_submission(challenge)
    headers = token_for(submission.team.memberships[0].user)
    assert client.get(f"/api/v1/submissions/{submission.id}", headers=headers).get_json()["sites"] is None


def test_the_team_page_shows_each_site_and_hides_private_until_the_close(
        client, site_challenge, agent_token, make_submission, make_team):  # noqa: F811
    challenge = site_challenge()
    team, submission, tokens = odense_reported(client, challenge, agent_token, make_submission, make_team)
    login(client, team.memberships[0].user.email)
    html = client.get(f"/challenges/{challenge.slug}/submissions").get_data(as_text=True)
    (odense,) = site_items(html, "odense")
    assert odense.startswith("odense 1.0000") and " – " in odense
    assert site_items(html, "copenhagen") == ["copenhagen pending"]
    rows = client.get(f"/challenges/{challenge.slug}/submissions.json").get_json()["submissions"]
    assert site_items(rows[0]["html"], "copenhagen") == ["copenhagen pending"]  # the live refresh says the same

    post_site(client, challenge, tokens["copenhagen"], "copenhagen", uneven_predictions())
    close(challenge)
    html = client.get(f"/challenges/{challenge.slug}/submissions").get_data(as_text=True)
    public, private = site_items(html, "copenhagen")  # the private column shows once the challenge has closed
    assert public.startswith("copenhagen 0.0000") and private.startswith("copenhagen ")
    assert "pending" not in private


def test_the_organisers_submission_page_shows_both_splits_by_site(
        client, site_challenge, agent_token, make_submission, make_team, make_user):  # noqa: F811
    challenge = site_challenge("worst")
    _, submission, _ = odense_reported(client, challenge, agent_token, make_submission, make_team)
    login(client, make_user("organiser@example.org").email)
    html = client.get(f"/challenges/{challenge.slug}/organise/submissions/{submission.id}").get_data(as_text=True)
    assert "the worst site&#39;s" in html or "the worst site's" in html
    odense = site_items(html, "odense")
    assert len(odense) == 2 and all(item.startswith("odense 1.0000") for item in odense)  # public and private
    assert site_items(html, "copenhagen") == ["copenhagen pending", "copenhagen pending"]
