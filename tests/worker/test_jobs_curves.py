"""The scoring job stores each split's reliability bins and decision curve with its Score row."""

from __future__ import annotations

from ultrathon.platform.extensions import db
from ultrathon.platform.models import Score
from ultrathon.scorers.curves import curves_from_dict


def test_a_scored_binary_submission_stores_its_curves_per_split(make_challenge, make_submission, run_worker):
    challenge = make_challenge()
    submission = make_submission(challenge)
    run_worker()
    db.session.expire_all()
    rows = {row.split: row for row in db.session.execute(db.select(Score).where(Score.submission_id == submission.id)).scalars()}
    assert set(rows) == {"public", "private"}
    for row in rows.values():
        curves = row.curves
        assert curves_from_dict(curves) == curves  # stored as the scorer made it, checked shape intact
        assert sum(b["n"] for b in curves["bins"]) == row.n_rows and len(curves["thresholds"]) == 99
