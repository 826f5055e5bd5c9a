"""Terms kept exactly: an acceptance keeps the SHA-256 and language of the text shown; a changed text is accepted anew."""

from __future__ import annotations

import hashlib
import io

from ultrathon.platform.challenges.loader import load_challenge_folder
from ultrathon.platform.extensions import db
from ultrathon.platform.models import AuditEvent, TermsAcceptance

from .terms_support import DEMO, folder_with_terms, login

TEXT = "Use the data for this challenge only, and delete them when it ends."


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_an_acceptance_keeps_the_digest_and_language_of_the_text_shown(client, make_challenge, make_user, tmp_path):
    challenge = make_challenge(folder=folder_with_terms(tmp_path, text=TEXT + " Æblegrød.", language="da"))
    user = make_user()
    login(client, user)
    client.post(f"/challenges/{DEMO}/terms", data={"accept": "yes"})
    acceptance = db.session.execute(db.select(TermsAcceptance)).scalar_one()
    assert (acceptance.version, acceptance.text_sha256, acceptance.language) == ("1", _sha(TEXT + " Æblegrød."), "da")
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "terms.accept")).scalar_one()
    assert (event.detail["text_sha256"], event.detail["language"]) == (_sha(TEXT + " Æblegrød."), "da")
    assert challenge.settings.terms.language == "da"


def test_the_language_is_english_unless_the_terms_say_otherwise(client, make_challenge, make_user):
    make_challenge(DEMO)
    login(client, make_user())
    client.post(f"/challenges/{DEMO}/terms", data={"accept": "yes"})
    assert db.session.execute(db.select(TermsAcceptance.language)).scalar_one() == "en"


def test_a_changed_text_under_the_same_version_is_accepted_again_before_a_download(client, make_challenge, make_user, tmp_path):
    folder = folder_with_terms(tmp_path, text=TEXT)
    make_challenge(folder=folder)
    user = make_user()
    login(client, user)
    client.post(f"/challenges/{DEMO}/terms", data={"accept": "yes"})
    download = f"/challenges/{DEMO}/files/train.csv"
    assert client.get(download).status_code == 200
    page = client.get(f"/challenges/{DEMO}").get_data(as_text=True)
    assert "You accepted version 1 on" in page and "changed since you accepted" not in page

    load_challenge_folder(folder_with_terms(tmp_path, text=TEXT + " Publish nothing that names a patient."))
    db.session.commit()
    assert client.get(download).status_code == 403
    page = client.get(f"/challenges/{DEMO}").get_data(as_text=True)
    assert "The data-use terms have changed since you accepted them" in page
    assert "These terms have changed since you accepted version 1" in page
    assert "You accepted version 1 on" not in page

    client.post(f"/challenges/{DEMO}/terms", data={"accept": "yes"})
    assert client.get(download).status_code == 200
    digests = db.session.execute(db.select(TermsAcceptance.text_sha256).order_by(TermsAcceptance.id)).scalars().all()
    assert digests == [_sha(TEXT), _sha(TEXT + " Publish nothing that names a patient.")]
    assert "changed since you accepted" not in client.get(f"/challenges/{DEMO}").get_data(as_text=True)


def test_a_changed_text_stops_uploads_until_accepted_again(client, make_open_challenge, make_team, token_for):
    challenge = make_open_challenge()
    team = make_team(challenge)
    member = team.memberships[0].user
    headers = token_for(member)
    sample = next(f.content for f in challenge.files if f.name == "sample_submission.csv")
    spec = dict(challenge.spec)
    spec["terms"] = {**spec["terms"], "text": "A new text, the same version."}
    challenge.spec = spec
    db.session.commit()
    refused = client.post(f"/api/v1/challenges/{challenge.slug}/submissions", headers=headers,
                          data={"file": (io.BytesIO(sample), "predictions.csv")}, content_type="multipart/form-data")
    assert refused.status_code == 403, refused.get_json()
    assert "terms" in refused.get_json()["detail"]


def test_a_persons_data_export_names_the_text_they_accepted(client, make_challenge, make_user):
    from ultrathon.platform.auth.erasure import export_user_data

    challenge = make_challenge(DEMO)
    user = make_user()
    login(client, user)
    client.post(f"/challenges/{DEMO}/terms", data={"accept": "yes"})
    [accepted] = export_user_data(user)["terms_accepted"]
    assert (accepted["version"], accepted["text_sha256"], accepted["language"]) == ("1", _sha(challenge.settings.terms.text), "en")
