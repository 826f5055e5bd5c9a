"""The scoring job stores the replicates of a multi-metric scheme's other metrics, paired with the primary's."""

from __future__ import annotations

import shutil

import numpy as np

from ultrathon.platform.extensions import db
from ultrathon.platform.models import Score
from tests.conftest import DEMO_DIR


def _scores(submission_id: int) -> dict[str, Score]:
    db.session.expire_all()
    return {row.split: row for row in db.session.execute(db.select(Score).where(Score.submission_id == submission_id)).scalars()}


def test_a_scheme_stores_its_other_metrics_replicates_and_primary_stores_none(tmp_path, make_challenge, make_submission,
                                                                               run_worker):
    folder = tmp_path / "ranked-breast"
    shutil.copytree(DEMO_DIR / "breast-cancer-diagnosis", folder)
    text = (folder / "challenge.yaml").read_text().replace("slug: breast-cancer-diagnosis", "slug: ranked-breast")
    (folder / "challenge.yaml").write_text(text + "ranking: {scheme: significance, metrics: [roc_auc, brier]}\n")
    ranked = make_challenge(folder=folder)
    plain = make_challenge()
    with_scheme, without = make_submission(ranked), make_submission(plain)
    run_worker()
    rows = _scores(with_scheme.id)
    n_resamples = ranked.settings.leaderboard.bootstrap
    for row in rows.values():
        assert set(row.metric_replicates) == {"brier"}
        brier = np.array([np.nan if v is None else v for v in row.metric_replicates["brier"]])
        assert brier.size == n_resamples == np.frombuffer(row.replicates, dtype="<f8").size
        assert np.all((brier[np.isfinite(brier)] >= 0) & (brier[np.isfinite(brier)] <= 1))
    assert {row.metric_replicates for row in _scores(without.id).values()} == {None}
