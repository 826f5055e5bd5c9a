"""The phases migration: a database from before phases keeps every row, each in its challenge's one phase."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

BEFORE_PHASES = "e8b2c4f6a1d3"
FILLER = {sa.Integer: 0, sa.BigInteger: 0, sa.Float: 0.0, sa.Boolean: False, sa.DateTime: datetime(2027, 1, 1),
          sa.JSON: "{}", sa.Text: "x", sa.String: "x"}


def _insert(conn, table: str, **values) -> int:
    """Insert a row with these values, every other required column filled with a placeholder; return its id."""
    columns = sa.inspect(conn).get_columns(table)
    for column in columns:
        if column["name"] not in values and column["name"] != "id" and not column["nullable"] and column["default"] is None:
            values[column["name"]] = next(v for kind, v in FILLER.items() if isinstance(column["type"], kind))
    names = ", ".join(f'"{name}"' for name in values)
    conn.execute(sa.text(f'INSERT INTO "{table}" ({names}) VALUES ({", ".join(f":{n}" for n in values)})'), values)
    return conn.execute(sa.text(f'SELECT max(id) FROM "{table}"')).scalar_one()


def test_each_challenge_becomes_one_main_phase_holding_its_rows(app, tmp_path):
    from ultrathon.platform.app import create_app
    from ultrathon.platform.extensions import db

    settings = replace(app.config["ULTRATHON"], database_url=f"sqlite:///{tmp_path / 'before-phases.db'}")
    old = create_app({"ULTRATHON": settings, "RATELIMIT_STORAGE_URI": "memory://"})
    with old.app_context():
        upgrade(revision=BEFORE_PHASES)
        with db.engine.begin() as conn:
            challenge = _insert(conn, "challenge", slug="old-one", opens_at=datetime(2026, 11, 2, 8),
                                closes_at=datetime(2027, 2, 15, 11))
            team = _insert(conn, "team", challenge_id=challenge, name="Old team", invite_code="code1")
            submission = _insert(conn, "submission", challenge_id=challenge, team_id=team)
            for split, value in (("public", 0.81), ("private", 0.79)):
                _insert(conn, "score", challenge_id=challenge, submission_id=submission, team_id=team, split=split,
                        metric="roc_auc", value=value)
            _insert(conn, "leaderboard_stats", challenge_id=challenge, split="public")
            _insert(conn, "results_publication", challenge_id=challenge)
        upgrade()
        with db.engine.connect() as conn:
            phases = conn.execute(sa.text("SELECT id, challenge_id, slug, title, position, opens_at, closes_at FROM phase")).all()
            assert [tuple(p[1:5]) for p in phases] == [(challenge, "main", "Main phase", 0)]
            assert [str(p[5])[:19] for p in phases] + [str(p[6])[:19] for p in phases] == ["2026-11-02 08:00:00", "2027-02-15 11:00:00"]
            for table in ("submission", "score", "leaderboard_stats", "results_publication"):
                assert {row[0] for row in conn.execute(sa.text(f"SELECT phase_id FROM {table}"))} == {phases[0][0]}, table
            assert sorted(conn.execute(sa.text("SELECT split, value FROM score")).all()) == [("private", 0.79), ("public", 0.81)]
        downgrade(revision=BEFORE_PHASES)  # every later revision too: the head moves on
        with db.engine.connect() as conn:
            assert "phase" not in sa.inspect(conn).get_table_names()
            assert sorted(conn.execute(sa.text("SELECT split, value FROM score")).all()) == [("private", 0.79), ("public", 0.81)]
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM phase")).scalar_one() == 1
        db.engine.dispose()
