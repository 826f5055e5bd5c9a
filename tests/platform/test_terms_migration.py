"""The terms migration: every acceptance made before it keeps counting, under the digest of the text shown now."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from ultrathon.spec import TermsSpec

from .test_phase_migration import _insert

BEFORE_TERMS_DIGESTS = "b4d8e1a6c2f9"


def test_existing_acceptances_get_the_digest_of_the_text_their_challenge_shows(app, tmp_path):
    from ultrathon.platform.app import create_app
    from ultrathon.platform.extensions import db

    settings = replace(app.config["ULTRATHON"], database_url=f"sqlite:///{tmp_path / 'before-digests.db'}")
    old = create_app({"ULTRATHON": settings, "RATELIMIT_STORAGE_URI": "memory://"})
    with old.app_context():
        upgrade(revision=BEFORE_TERMS_DIGESTS)
        with db.engine.begin() as conn:
            own = _insert(conn, "challenge", slug="own-text", spec=json.dumps({"terms": {"version": "2", "text": "Ours, ø."}}))
            default = _insert(conn, "challenge", slug="default-text", spec=json.dumps({"title": "no terms key"}))
            danish = _insert(conn, "challenge", slug="danish", spec=json.dumps({"terms": {"text": "Vores.", "language": "da"}}))
            user = _insert(conn, "user", email="old@example.org")
            for challenge in (own, default, danish):
                _insert(conn, "terms_acceptance", challenge_id=challenge, user_id=user, version="2")
        upgrade()
        with db.engine.connect() as conn:
            rows = dict((c, (d, lang)) for c, d, lang in conn.execute(
                sa.text("SELECT challenge_id, text_sha256, language FROM terms_acceptance")).all())
        sha = lambda text: hashlib.sha256(text.encode("utf-8")).hexdigest()  # noqa: E731
        # The text a challenge without terms shows is TermsSpec's default: the migration's copy must match it.
        assert rows == {own: (sha("Ours, ø."), "en"), default: (sha(TermsSpec().text), "en"), danish: (sha("Vores."), "da")}
        with db.engine.begin() as conn:  # the same version accepted under a new text is a second row now
            _insert(conn, "terms_acceptance", challenge_id=own, user_id=user, version="2", text_sha256=sha("New."), language="en")
        downgrade(revision=BEFORE_TERMS_DIGESTS)
        with db.engine.connect() as conn:
            assert "deletion_attestation" not in sa.inspect(conn).get_table_names()
            assert conn.execute(sa.text("SELECT count(*) FROM terms_acceptance")).scalar_one() == 3
        upgrade()
        db.engine.dispose()
