"""Agent tokens on the organiser dashboard: created (shown once) and revoked as the CLI does, by organisers only."""

from __future__ import annotations

import hashlib

import pytest

from ultrathon.platform.agents.models import AgentToken
from ultrathon.platform.extensions import db
from ultrathon.platform.models import AuditEvent

ORGANISER = "organiser@example.org"  # listed in the demo challenge's YAML


def login(client, user) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def new_url(challenge) -> str:
    return f"/challenges/{challenge.slug}/organise/agents/new"


def revoke_url(challenge, token_id: int) -> str:
    return f"/challenges/{challenge.slug}/organise/agents/{token_id}/revoke"


def events(action: str) -> list[AuditEvent]:
    return list(db.session.execute(db.select(AuditEvent).where(AuditEvent.action == action)).scalars())


@pytest.fixture
def organiser(make_user):
    return make_user(ORGANISER, "Olga Organiser")


def test_an_organiser_creates_a_token_shown_once_stored_hashed_and_audited(client, make_agent_challenge, organiser):
    challenge = make_agent_challenge()
    login(client, organiser)
    dashboard = client.get(f"/challenges/{challenge.slug}/organise").get_data(as_text=True)
    section = dashboard.split('id="agent-tokens-heading"')[1].split("</section>")[0]
    assert f'action="{new_url(challenge)}"' in section and 'name="site"' not in section  # no sites: no site to choose
    response = client.post(new_url(challenge), data={"name": "odense-rigshospitalet"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    secret = page.split('id="new-token" readonly value="')[1].split('"')[0]
    assert secret.startswith("uta_") and "shown this once" in page and 'data-copy="new-token"' in page
    token = db.session.execute(db.select(AgentToken)).scalar_one()
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest() and token.name == "odense-rigshospitalet"
    assert [c.slug for c in token.challenges] == [challenge.slug] and token.site is None
    (event,) = events("agent.create")
    assert event.actor_id == organiser.id and event.challenge_id == challenge.id and event.target_id == str(token.id)
    assert event.detail["prefix"] == token.prefix and secret not in str(event.detail)
    again = client.get(f"/challenges/{challenge.slug}/organise").get_data(as_text=True)
    assert secret not in again and f"{token.prefix}…" in again and "odense-rigshospitalet" in again
    lease = client.post("/api/v1/agent/lease", json={"wait": 0}, headers={"Authorization": f"Bearer {secret}"})
    assert lease.status_code == 204  # the token works: nothing to score yet


def test_a_token_needs_a_name_and_a_site_challenge_one_of_its_sites(client, make_agent_challenge, site_challenge,  # noqa: F811
                                                                   organiser):
    login(client, organiser)
    plain = make_agent_challenge()
    refused = client.post(new_url(plain), data={"name": " "})
    assert refused.status_code == 400 and "Give the agent a name" in refused.get_data(as_text=True)
    sited = site_challenge()
    form = client.get(new_url(sited)).get_data(as_text=True)
    assert '<option value="odense">odense</option>' in form and '<option value="copenhagen">' in form
    for site in ("", "stockholm"):
        refused = client.post(new_url(sited), data={"name": "x", "site": site})
        assert refused.status_code == 400
        assert "Choose the site this agent scores for: one of odense, copenhagen." in refused.get_data(as_text=True)
    assert db.session.execute(db.select(AgentToken)).first() is None
    created = client.post(new_url(sited), data={"name": "odense agent", "site": "odense"})
    assert created.status_code == 200 and "at site <strong>odense</strong>" in created.get_data(as_text=True)
    assert db.session.execute(db.select(AgentToken.site)).scalar_one() == "odense"


def test_an_organiser_revokes_a_token_after_confirming_and_it_is_audited(client, make_agent_challenge, agent_token,
                                                                        organiser):
    challenge = make_agent_challenge()
    token_id, headers = agent_token(challenge, name="odense")
    login(client, organiser)
    dashboard = client.get(f"/challenges/{challenge.slug}/organise").get_data(as_text=True)
    form = dashboard.split(f'action="{revoke_url(challenge, token_id)}"')[1].split("</form>")[0]
    assert 'method="post"' in dashboard.split(f'action="{revoke_url(challenge, token_id)}"')[0][-200:]
    assert 'data-confirm="Revoke the agent token odense?' in form
    response = client.post(revoke_url(challenge, token_id), follow_redirects=True)
    assert response.status_code == 200
    assert "is revoked; 0 job(s) it held are queued again" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(AgentToken, token_id).revoked_at is not None
    (event,) = events("agent.revoke")
    assert event.actor_id == organiser.id and event.target_id == str(token_id)
    assert client.post("/api/v1/agent/lease", json={"wait": 0}, headers=headers).status_code == 401
    again = client.post(revoke_url(challenge, token_id), follow_redirects=True)
    assert "was revoked already" in again.get_data(as_text=True) and len(events("agent.revoke")) == 1


def test_only_the_challenges_organisers_and_admins_manage_its_tokens(client, make_agent_challenge, agent_token,
                                                                    make_team, make_user):
    challenge = make_agent_challenge()
    token_id, _ = agent_token(challenge)
    member = make_user("member@example.org")
    make_team(challenge, [member])
    login(client, member)
    assert client.get(new_url(challenge)).status_code == 404  # as every organiser page: its existence is not confirmed
    assert client.post(new_url(challenge), data={"name": "mine"}).status_code == 404
    assert client.post(revoke_url(challenge, token_id)).status_code == 404
    assert db.session.execute(db.select(db.func.count()).select_from(AgentToken)).scalar_one() == 1
    db.session.expire_all()
    assert db.session.get(AgentToken, token_id).revoked_at is None
    login(client, make_user("admin@example.org", admin=True))
    assert client.post(new_url(challenge), data={"name": "admin's"}).status_code == 200
    assert client.post(revoke_url(challenge, 999)).status_code == 404


def test_revoking_needs_the_csrf_token(app, make_agent_challenge, agent_token, organiser):
    from ultrathon.platform.app import create_app

    challenge = make_agent_challenge()
    token_id, _ = agent_token(challenge)
    guarded = create_app({"ULTRATHON": app.config["ULTRATHON"], "WTF_CSRF_ENABLED": True})
    client = guarded.test_client()
    login(client, organiser)
    assert client.post(revoke_url(challenge, token_id)).status_code == 400
    assert client.post(new_url(challenge), data={"name": "x"}).status_code == 400
    db.session.expire_all()
    assert db.session.get(AgentToken, token_id).revoked_at is None
    assert db.session.execute(db.select(db.func.count()).select_from(AgentToken)).scalar_one() == 1
    with guarded.app_context():
        page = client.get(f"/challenges/{challenge.slug}/organise").get_data(as_text=True)
    form = page.split(f'action="{revoke_url(challenge, token_id)}"')[1].split("</form>")[0]
    csrf = form.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.post(revoke_url(challenge, token_id), data={"csrf_token": csrf}).status_code == 302
    db.session.expire_all()
    assert db.session.get(AgentToken, token_id).revoked_at is not None


def test_a_challenge_the_platform_scores_has_no_agent_tokens(client, make_challenge, organiser):
    challenge = make_challenge()
    login(client, organiser)
    assert 'id="agent-tokens-heading"' not in client.get(f"/challenges/{challenge.slug}/organise").get_data(as_text=True)
    assert client.get(new_url(challenge)).status_code == 404
