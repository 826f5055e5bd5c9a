"""E-mail notifications: who gets which mail, once, in their language, and the one-click way to stop it."""

from __future__ import annotations

import logging
import re
import shutil
from dataclasses import dataclass
from datetime import timedelta

import pytest
import yaml

from ultrathon.platform.auth import mail as mail_module
from ultrathon.platform.auth.reset import make_reset_token
from ultrathon.platform.challenges.publication import publish_results, withdraw_results
from ultrathon.platform.extensions import db
from ultrathon.platform.governance.access import decide, request_access
from ultrathon.platform.governance.suspension import suspend_user
from ultrathon.platform.models import Submission, User, utcnow
from ultrathon.platform.notifications.announcements import enqueue_due_announcements
from ultrathon.platform.notifications.links import make_unsubscribe_token
from ultrathon.platform.notifications.settings import save_settings, settings_of
from ultrathon.worker.jobs import score_submission
from tests.conftest import DEMO_DIR
from tests.platform.phase_support import phased_folder
from tests.platform.terms_support import login
from tests.platform.test_governance_access import REQUIRED, gated  # noqa: F401

ONE_CLICK = "List-Unsubscribe=One-Click"
UNSUBSCRIBE = re.compile(r"https?://\S+(/unsubscribe/\S+)")


@dataclass
class Mail:
    to: str
    subject: str
    headers: dict[str, str]
    body: str

    @property
    def text(self) -> str:
        """Return the body with its lines joined, as wrapping left them apart."""
        return " ".join(self.body.split())

    @property
    def unsubscribe_path(self) -> str:
        return UNSUBSCRIBE.search(self.body).group(1)


@pytest.fixture
def mails(caplog):
    """Return the mails written to the log so far (no SMTP_HOST in the tests), as the reset tests read them."""
    caplog.set_level(logging.INFO, logger="ultrathon.mail")

    def read() -> list[Mail]:
        found = []
        for record in caplog.records:
            if record.name != "ultrathon.mail":
                continue
            head, _, body = record.getMessage().partition("\n\n")
            first, *lines = head.split("\n")
            fields = dict(line.split(": ", 1) for line in lines)
            to = re.match(r"no SMTP_HOST set; mail to (\S+) not sent", first).group(1)
            found.append(Mail(to, fields.pop("Subject"), fields, body))
        return found

    return read


def failing_data(challenge) -> bytes:
    """Return the sample with one id left out: it passes the upload's quick check and fails scoring."""
    lines = next(f.content for f in challenge.files if f.name == "sample_submission.csv").decode().splitlines()
    return ("\n".join(lines[:5] + lines[6:]) + "\n").encode()


def fresh(submission_id: int) -> Submission:
    db.session.expire_all()
    return db.session.get(Submission, submission_id)


def test_a_failed_submission_mails_each_member_of_the_team_who_wants_it_once(ctx, make_challenge, make_user, make_team,
                                                                            make_submission, run_worker, mails):
    challenge = make_challenge()
    ann, bo, cy = make_user("ann@example.org", "Ann"), make_user("bo@example.org", "Bo"), make_user("cy@example.org", "Cy")
    save_settings(cy, {"submission_failed": False})
    db.session.commit()
    team = make_team(challenge, [ann, bo, cy])
    make_team(challenge, [make_user("dee@example.org")])  # another team hears nothing of it
    submission = make_submission(challenge, team, data=failing_data(challenge))
    run_worker()

    stored = fresh(submission.id)
    assert stored.status == "failed"
    got = mails()
    assert sorted(m.to for m in got) == ["ann@example.org", "bo@example.org"]
    first = got[0]
    assert first.subject == f"Submission {submission.id} to {challenge.title} failed"
    assert first.body.startswith(("Hello Ann,", "Hello Bo,"))
    assert f"to {challenge.title} could not be scored: {stored.error}" in first.text
    assert f"/challenges/{challenge.slug}/submissions\n" in first.body
    assert "\n-- \n" in first.body and "A submission of my team fails" in first.text
    assert first.headers["List-Unsubscribe"] == f"<{UNSUBSCRIBE.search(first.body).group(0)}>"
    assert first.headers["List-Unsubscribe-Post"] == ONE_CLICK

    # Delivered again (a re-score, a lost acknowledgement) and failing the same way: no second mail.
    stored = fresh(submission.id)
    stored.status = "queued"
    db.session.commit()
    assert score_submission(submission.id) == "failed"
    assert len(mails()) == 2


def test_several_problems_are_listed_under_the_error_up_to_five(ctx, make_challenge, make_user, make_team, make_submission,
                                                                 mails):
    from ultrathon.platform.notifications.triggers import notify_submission_outcome

    challenge = make_challenge()
    submission = make_submission(challenge, make_team(challenge, [make_user("ann@example.org")]))
    submission.status, submission.error = "failed", "7 problems in the file"
    submission.problems = [{"row": 2, "column": "probability", "message": "not a number"},
                           {"row": 3, "column": None, "message": "too many fields"},
                           {"row": None, "column": "risk", "message": "unknown column"},
                           *({"row": None, "column": None, "message": f"problem {n}"} for n in range(4))]
    db.session.commit()
    notify_submission_outcome(submission)

    [got] = mails()
    assert ("7 problems in the file\n- Row 2, column probability: not a number\n- Row 3: too many fields\n"
            "- Column risk: unknown column\n- problem 0\n- problem 1\n- …and 2 more problems.\n\n") in got.body


def test_a_scored_submission_mails_only_those_who_asked_with_the_score_they_may_see(ctx, make_challenge, make_user,
                                                                                   make_team, make_submission, run_worker, mails):
    challenge = make_challenge()
    ann, bo = make_user("ann@example.org", "Ann"), make_user("bo@example.org", "Bo")
    assert settings_of(bo)["submission_scored"] is False  # opt-in
    save_settings(ann, {"submission_scored": True})
    db.session.commit()
    submission = make_submission(challenge, make_team(challenge, [ann, bo]))
    run_worker()

    [got] = mails()
    assert got.to == "ann@example.org"
    assert got.subject == f"Submission {submission.id} to {challenge.title} is scored"
    assert re.search(r"Its public score \(roc_auc\): 0\.\d{4}\n", got.body)


def test_each_person_is_written_to_in_their_language_else_the_challenges(ctx, make_challenge, make_user, make_team,
                                                                          make_submission, run_worker, mails, tmp_path):
    folder = tmp_path / "svensk-tavling"
    shutil.copytree(DEMO_DIR / "breast-cancer-diagnosis", folder)
    spec = yaml.safe_load((folder / "challenge.yaml").read_text())
    spec.update(slug="svensk-tavling", language="sv")
    (folder / "challenge.yaml").write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))
    challenge = make_challenge(folder=folder)
    dane, other = make_user("dane@example.org", "Dorthe"), make_user("other@example.org", "Olle")
    dane.language = "da"
    db.session.commit()
    submission = make_submission(challenge, make_team(challenge, [dane, other]), data=failing_data(challenge))
    run_worker()

    got = {m.to: m for m in mails()}
    danish, swedish = got["dane@example.org"], got["other@example.org"]
    assert danish.subject == f"Indsendelse {submission.id} til {challenge.title} fejlede"
    assert danish.body.startswith("Hej Dorthe,") and "afmelde e-mails af denne type" in danish.text
    assert "kunne ikke scores" in danish.text and "Hello" not in danish.body
    assert swedish.subject == f"Inlämning {submission.id} till {challenge.title} misslyckades"
    assert swedish.body.startswith("Hej Olle,") and "kunde inte poängsättas" in swedish.text and "Hello" not in swedish.body


def test_a_mail_that_cannot_be_sent_does_not_fail_the_scoring(ctx, make_challenge, make_user, make_team, make_submission,
                                                              monkeypatch, caplog):
    challenge = make_challenge()
    user = make_user()
    save_settings(user, {"submission_scored": True})
    db.session.commit()
    submission = make_submission(challenge, make_team(challenge, [user]))

    def broken_mail(*args, **kwargs):
        raise RuntimeError("the mail library broke")

    monkeypatch.setattr(mail_module, "send_mail", broken_mail)
    caplog.set_level(logging.ERROR, logger="ultrathon.platform.notifications.sending")
    assert score_submission(submission.id) == "scored"
    assert fresh(submission.id).status == "scored" and len(fresh(submission.id).scores) == 2
    assert any("could not send the submission_scored notification" in r.getMessage() for r in caplog.records)


def test_an_access_decision_mails_the_person_who_asked(client, ctx, gated, make_user, mails):  # noqa: F811
    challenge = gated(REQUIRED)
    organiser = make_user(challenge.organisers[0], "Olga")
    asker, other = make_user("asker@example.org", "Ask"), make_user("other@example.org", "Oth")
    refused = request_access(challenge, asker, {"affiliation": "Somewhere"})
    approved = request_access(challenge, other, {"affiliation": "Elsewhere"})
    assert mails() == []  # asking mails nobody

    login(client, organiser)
    response = client.post(f"/challenges/{challenge.slug}/organise/access-requests/{refused.id}/refuse",
                           data={"reason": "We admit clinicians only."})
    assert response.status_code == 302
    decide(challenge, db.session.get(type(approved), approved.id), organiser, approve=True)

    got = {m.to: m for m in mails()}
    assert set(got) == {"asker@example.org", "other@example.org"}
    assert got["asker@example.org"].subject == f"Your access request to {challenge.title} is refused"
    assert "We admit clinicians only." in got["asker@example.org"].text
    assert got["other@example.org"].subject == f"Your access request to {challenge.title} is approved"
    assert f"/challenges/{challenge.slug}/team" in got["other@example.org"].body


def test_a_phase_is_announced_once_to_the_participants_when_a_sweep_first_sees_it_open(app, ctx, make_challenge, make_user,
                                                                                       make_team, run_worker, mails, tmp_path):
    from ultrathon.worker.runner import run_sweep

    now = utcnow()
    folder = phased_folder(tmp_path, {"development": (now - timedelta(hours=1), now + timedelta(days=10)),
                                      "final": (now + timedelta(days=10), now + timedelta(days=20))})
    challenge = make_challenge(folder=folder)
    ann, bo, quiet = make_user("ann@example.org"), make_user("bo@example.org"), make_user("quiet@example.org")
    save_settings(quiet, {"phase_opened": False})
    db.session.commit()
    suspended = make_user("suspended@example.org")
    make_team(challenge, [ann, quiet])
    make_team(challenge, [bo, suspended])
    make_user("bystander@example.org")
    suspend_user(challenge, suspended, "Shared the data.", make_user(challenge.organisers[0]))

    run_sweep()  # the worker pool's periodic sweep
    run_worker()
    first = mails()
    assert sorted(m.to for m in first) == ["ann@example.org", "bo@example.org"]
    assert first[0].subject == f"Development of {challenge.title} is open"
    assert f"/challenges/{challenge.slug}/submissions?phase=development" in first[0].body

    assert enqueue_due_announcements() == 0  # announced: the next sweeps queue nothing
    run_worker()
    assert len(mails()) == 2

    app.config["CLOCK"] = lambda: now + timedelta(days=10, minutes=1)
    enqueue_due_announcements()
    run_worker()
    later = mails()[2:]
    assert sorted(m.to for m in later) == ["ann@example.org", "bo@example.org"]
    assert later[0].subject == f"Final test of {challenge.title} is open"


def test_publishing_results_mails_each_participant_once(ctx, make_challenge, make_user, make_team, run_worker, mails):
    challenge = make_challenge()
    organiser = make_user(challenge.organisers[0], "Olga")
    make_team(challenge, [make_user("ann@example.org"), make_user("bo@example.org")])
    make_team(challenge, [make_user("cy@example.org")])
    challenge.closes_at = challenge.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    publish_results(challenge, organiser, "Checked twice.")
    run_worker()
    got = mails()
    assert sorted(m.to for m in got) == ["ann@example.org", "bo@example.org", "cy@example.org"]
    assert got[0].subject == f"The results of {challenge.title} are published"
    assert "Checked twice." in got[0].text and f"/challenges/{challenge.slug}/leaderboard?split=private" in got[0].body

    withdraw_results(challenge, organiser)
    publish_results(challenge, organiser)  # published again after a correction: told once is enough
    enqueue_due_announcements()
    run_worker()
    assert len(mails()) == 3


def test_results_out_at_the_close_are_announced_by_the_sweep(ctx, make_challenge, make_user, make_team, run_worker, mails,
                                                             tmp_path):
    folder = tmp_path / "breast-cancer-diagnosis"
    shutil.copytree(DEMO_DIR / "breast-cancer-diagnosis", folder)
    with open(folder / "challenge.yaml", "a") as handle:
        handle.write("results: {publish: at_close}\n")
    challenge = make_challenge(folder=folder)
    make_team(challenge, [make_user("ann@example.org")])
    challenge.closes_at = challenge.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    enqueue_due_announcements()
    run_worker()
    [got] = [m for m in mails() if "results" in m.subject]
    assert got.to == "ann@example.org"


def _failed_once(challenge, make_team, make_submission, run_worker, user) -> int:
    make_submission(challenge, make_team(challenge, [user]), data=failing_data(challenge))
    run_worker()
    return user.id


def test_the_unsubscribe_link_works_in_one_click_with_no_session_and_no_form_token(app, ctx, make_challenge, make_user,
                                                                                  make_team, make_submission, run_worker, mails):
    from ultrathon.platform.app import create_app

    challenge = make_challenge()
    user = make_user("ann@example.org", "Ann")
    _failed_once(challenge, make_team, make_submission, run_worker, user)
    [got] = mails()
    # Form tokens are checked here, as in production: the one-click POST must pass without one.
    guarded = create_app({"ULTRATHON": app.config["ULTRATHON"], "WTF_CSRF_ENABLED": True}).test_client()

    page = guarded.get(got.unsubscribe_path)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    text = page.get_data(as_text=True)
    assert "A submission of my team fails" in text and "Turn these e-mails off" in text and "ann@example.org" in text
    db.session.expire_all()
    assert settings_of(user)["submission_failed"] is True  # looking at the page changes nothing

    done = guarded.post(got.unsubscribe_path, data=ONE_CLICK, content_type="application/x-www-form-urlencoded")
    assert done.status_code == 200 and "These e-mails are turned off" in done.get_data(as_text=True)
    db.session.expire_all()
    assert settings_of(user) == {"submission_failed": False, "submission_scored": False, "access_decided": True,
                                 "phase_opened": True, "results_published": True}
    # Every other form still needs its token.
    assert guarded.post("/account/notifications", data={}).status_code == 400

    make_submission(challenge, db.session.get(User, user.id).memberships[0].team, data=failing_data(challenge))
    run_worker()
    assert len(mails()) == 1


def test_a_tampered_or_foreign_token_is_refused_and_changes_nothing(client, ctx, make_user):
    user = make_user()
    token = make_unsubscribe_token(user, "phase_opened")
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    forged_kind = make_unsubscribe_token(user, "everything")
    for bad in (tampered, make_reset_token(user), forged_kind):
        for method in (client.get, client.post):
            response = method(f"/unsubscribe/{bad}")
            assert response.status_code == 400
            text = response.get_data(as_text=True)
            assert "This link cannot be used" in text and "unsubscribe link" in text
    db.session.expire_all()
    assert settings_of(user)["phase_opened"] is True
    assert client.post(f"/unsubscribe/{token}").status_code == 200


def test_the_unsubscribe_page_speaks_the_persons_language(client, ctx, make_user):
    user = make_user()
    user.language = "sv"
    db.session.commit()
    page = client.get(f"/unsubscribe/{make_unsubscribe_token(user, 'results_published')}", headers={"Accept-Language": "en"})
    assert 'lang="sv"' in page.get_data(as_text=True) and "Stäng av de här e-postmeddelandena" in page.get_data(as_text=True)


def test_the_account_page_saves_the_settings_and_the_language(client, ctx, make_user):
    user = make_user()
    login(client, user)
    page = client.get("/account").get_data(as_text=True)
    assert 'id="notifications"' in page and 'name="notifications-submission_failed" type="checkbox" value="y"' in page
    assert 'checked id="notifications-submission_failed"' in page and 'checked id="notifications-submission_scored"' not in page
    assert '<option lang="da" value="da">Dansk</option>' in page and '<option selected value="">' in page

    saved = client.post("/account/notifications", data={"notifications-submission_scored": "y",
                                                         "notifications-phase_opened": "y", "notifications-language": "da"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/account#notifications")
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert settings_of(user) == {"submission_failed": False, "submission_scored": True, "access_decided": False,
                                 "phase_opened": True, "results_published": False}
    assert user.language == "da"
    danish = client.get("/account").get_data(as_text=True)
    assert 'lang="da"' in danish and "Dine indstillinger for e-mail og sprog er gemt." in danish
    assert '<option lang="da" selected value="da">Dansk</option>' in danish

    bad = client.post("/account/notifications", data={"notifications-language": "fr"})
    assert bad.status_code == 400 and "Vælg et af de tilbudte sprog" in bad.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).language == "da"

    client.post("/account/notifications", data={"notifications-language": ""})
    db.session.expire_all()
    assert db.session.get(User, user.id).language is None  # follows the browser again


@pytest.mark.parametrize("language, heading, saved", [
    ("da", "E-mails og sprog", "Gem indstillingerne"),
    ("sv", "E-post och språk", "Spara inställningarna"),
])
def test_the_account_page_in_danish_and_swedish(client, ctx, make_user, language, heading, saved):
    login(client, make_user())
    page = client.get("/account", headers={"Accept-Language": language}).get_data(as_text=True)
    assert heading in page and saved in page and "Your account" not in page


def test_the_migration_counts_what_happened_before_it_as_announced(app, tmp_path):
    import json
    from dataclasses import replace
    from datetime import datetime, timezone

    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from ultrathon.platform.app import create_app
    from tests.platform.test_phase_migration import _insert

    settings = replace(app.config["ULTRATHON"], database_url=f"sqlite:///{tmp_path / 'before-notifications.db'}")
    old = create_app({"ULTRATHON": settings, "RATELIMIT_STORAGE_URI": "memory://"})
    with old.app_context():
        upgrade(revision="d2a6f8b3c1e7")
        now = datetime.now(timezone.utc).replace(tzinfo=None)  # stored naive, as the app stores UTC
        with db.engine.begin() as conn:
            manual = _insert(conn, "challenge", slug="manual", spec=json.dumps({}))
            at_close = _insert(conn, "challenge", slug="at-close", spec=json.dumps({"results": {"publish": "at_close"}}))
            phase = {}
            for name, challenge, opens, closes in (("open", manual, -1, 5), ("coming", manual, 5, 9),
                                                   ("closed", manual, -9, -5), ("published", manual, -9, -5),
                                                   ("at_close", at_close, -9, -5)):
                phase[name] = _insert(conn, "phase", challenge_id=challenge, slug=name, title=name,
                                      opens_at=now + timedelta(days=opens), closes_at=now + timedelta(days=closes))
            _insert(conn, "results_publication", challenge_id=manual, phase_id=phase["published"], published_at=now)
        upgrade()
        with db.engine.connect() as conn:
            sent = set(conn.execute(sa.text("SELECT kind, ref_id FROM notification_sent")).all())
        assert sent == {("phase_opened", phase[p]) for p in ("open", "closed", "published", "at_close")} | \
            {("results_published", phase["published"]), ("results_published", phase["at_close"])}
        downgrade(revision="d2a6f8b3c1e7")
        upgrade()
        db.engine.dispose()
