"""Several sites through the real app and Redis: one job per site, own ids only, pending until every site reports."""

from __future__ import annotations

import hashlib
import io

import pandas as pd
import pytest

from tests.platform.agent_support import SITE_IDS, SITE_SOLUTIONS, SITES, SOLUTION, sample_of, site_rows, wire_report
from ultrathon.platform.extensions import db
from ultrathon.platform.models import Score, Submission

NO_WAIT = {"wait": 0}


def uneven_predictions() -> bytes:
    """Return predictions right at odense and backwards at copenhagen: the sites' scores differ."""
    truth = pd.read_csv(io.BytesIO(SOLUTION), dtype=str)
    label = truth["malignant"].astype(float)
    backwards = truth["patient_id"].isin(SITE_IDS["copenhagen"])
    probability = label.where(~backwards, 1 - label) * 0.8 + 0.1
    return pd.DataFrame({"patient_id": truth["patient_id"], "probability": probability}).to_csv(index=False).encode()


def lease(client, headers):
    return client.post("/api/v1/agent/lease", json=NO_WAIT, headers=headers)


def site_body(challenge, site: str, data: bytes, ids=None, solution_site=None) -> dict:
    """Score a whole-file submission's rows of one site, as that site's agent does."""
    solution = SITE_SOLUTIONS[solution_site or site]
    own = SITE_IDS[solution_site or site]
    return {"solution_sha256": hashlib.sha256(solution).hexdigest(),
            "report": wire_report(challenge, site_rows(data, set(own)), solution),
            "ids": list(own) if ids is None else ids}


def post_site(client, challenge, headers, site, data, **kwargs):
    job = lease(client, headers).get_json()
    assert job["site"] == site
    return job, client.post(job["result_url"], json=site_body(challenge, site, data, **kwargs), headers=headers)


def board(client, challenge):
    return client.get(f"/api/v1/challenges/{challenge.slug}/leaderboard").get_json()


def test_two_sites_report_and_the_mean_ranks(client, site_challenge, agent_token, make_submission):
    challenge = site_challenge()
    tokens = {site: agent_token(challenge, name=site, site=site)[1] for site in SITES}
    submission = make_submission(challenge)
    data = sample_of(challenge)

    _, first = post_site(client, challenge, tokens["odense"], "odense", data)
    assert first.status_code == 200 and first.get_json()["status"] == "scoring"
    document = board(client, challenge)
    assert document["entries"] == []  # never ranked on a partial combination
    (pending,) = document["pending"]
    assert pending["submission_id"] == submission.id and pending["rank"] is None
    assert pending["sites"]["copenhagen"] == "pending" and pending["sites"]["odense"]["n_rows"] > 0
    assert lease(client, tokens["odense"]).status_code == 204  # the site's job is done; the other's is not its own

    _, second = post_site(client, challenge, tokens["copenhagen"], "copenhagen", data)
    assert second.get_json() == {"submission_id": submission.id, "status": "scored", "stored": True, "site": "copenhagen"}
    (entry,) = board(client, challenge)["entries"]
    values = [entry["sites"][s]["score"] for s in SITES]
    assert entry["rank"] == 1 and entry["score"] == pytest.approx(sum(values) / 2, abs=1e-4)
    assert all(entry["sites"][s]["ci_low"] is not None for s in SITES)
    db.session.expire_all()
    public = db.session.execute(db.select(Score).where(Score.submission_id == submission.id, Score.split == "public")).scalar_one()
    assert public.n_rows == sum(entry["sites"][s]["n_rows"] for s in SITES)
    assert public.ci_low <= public.value <= public.ci_high


def test_worst_ranks_by_the_worse_site(client, site_challenge, agent_token, make_submission):
    challenge = site_challenge("worst")
    tokens = {site: agent_token(challenge, name=site, site=site)[1] for site in SITES}
    data = uneven_predictions()
    make_submission(challenge, data=data)
    for site in SITES:
        post_site(client, challenge, tokens[site], site, data)
    document = board(client, challenge)
    (entry,) = document["entries"]
    assert document["combine"] == "worst"
    assert entry["sites"]["odense"]["score"] == 1.0 and entry["sites"]["copenhagen"]["score"] == 0.0
    assert entry["score"] == 0.0  # roc_auc: higher is better, so the worst site is the lower one


def test_a_site_token_cannot_touch_another_sites_job(client, site_challenge, agent_token, make_submission):
    challenge = site_challenge()
    odense = agent_token(challenge, name="odense", site="odense")[1]
    copenhagen = agent_token(challenge, name="copenhagen", site="copenhagen")[1]
    make_submission(challenge)
    job = lease(client, odense).get_json()
    assert job["site"] == "odense"
    for url in (job["submission_url"], job["heartbeat_url"]):
        method = client.get if url.endswith("/submission") else client.post
        assert method(url, headers=copenhagen).status_code == 403
    body = site_body(challenge, "copenhagen", sample_of(challenge))
    assert client.post(job["result_url"], json=body, headers=copenhagen).status_code == 403
    # The other site leases its own job of the same submission, not odense's.
    other = lease(client, copenhagen).get_json()
    assert other["site"] == "copenhagen" and other["submission_id"] == job["submission_id"] and other["id"] != job["id"]


def test_a_result_with_another_sites_ids_is_refused(client, site_challenge, agent_token, make_submission):
    challenge = site_challenge()
    odense = agent_token(challenge, name="odense", site="odense")[1]
    submission = make_submission(challenge)
    job = lease(client, odense).get_json()
    ids = SITE_IDS["odense"][:-1] + [SITE_IDS["copenhagen"][0]]
    refused = client.post(job["result_url"], json=site_body(challenge, "odense", sample_of(challenge), ids=ids), headers=odense)
    assert refused.status_code == 400
    detail = refused.get_json()["detail"]
    assert "1 id(s) are not odense's" in detail and repr(SITE_IDS['copenhagen'][0]) in detail and "copenhagen" not in detail
    # The job goes back to the site's agents; nothing is stored.
    db.session.expire_all()
    assert db.session.get(Submission, submission.id).status != "scored"
    again = lease(client, odense).get_json()
    assert again["submission_id"] == submission.id and again["site"] == "odense"


def test_a_result_with_another_sites_solution_is_refused(client, site_challenge, agent_token, make_submission):
    challenge = site_challenge()
    odense = agent_token(challenge, name="odense", site="odense")[1]
    make_submission(challenge)
    job = lease(client, odense).get_json()
    body = site_body(challenge, "odense", sample_of(challenge), solution_site="copenhagen")
    refused = client.post(job["result_url"], json=body, headers=odense)
    assert refused.status_code == 400 and "fingerprint" in refused.get_json()["detail"]


def test_a_site_challenge_needs_a_site_token(site_challenge):
    from ultrathon.platform.agents.tokens import create_agent_token

    challenge = site_challenge()
    with pytest.raises(ValueError, match="name the site this agent scores for with --site"):
        create_agent_token([challenge], "x")
    with pytest.raises(ValueError, match="no site 'malmo'; its sites are odense, copenhagen"):
        create_agent_token([challenge], "x", site="malmo")


def test_the_dashboard_and_readyz_show_each_agents_site(client, site_challenge, agent_token, make_user):
    from tests.platform.test_agent_operability import ORGANISER, login

    challenge = site_challenge()
    for site in SITES:
        agent_token(challenge, name=f"agent-{site}", site=site)
    login(client, make_user(ORGANISER, "Olga Organiser"))
    page = client.get(f"/challenges/{challenge.slug}/organise").get_data(as_text=True)
    section = page.split('id="agents-heading"')[1].split("</section>")[0]
    assert '<th scope="col">Site</th>' in section
    for site in SITES:
        assert f"<td>agent-{site}</td><td>{site}</td>" in section
    agents = {a["name"]: a["site"] for a in client.get("/readyz").get_json()["agents"]}
    assert agents == {f"agent-{site}": site for site in SITES}
