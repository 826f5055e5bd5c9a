"""`ultrathon up`: every process one machine needs, started together and stopped together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from .app import PACKAGE_ROOT
from .config import Settings, new_password
from .processes import stop_process_trees
from .queueing import stop_embedded_redis

DEMO_ORGANISER = "organiser@example.org"
STOP_GRACE_S = 5  # a job cut short is re-delivered by the sweeper, so no need to wait long


def gunicorn_argv(host: str, port: int, web_workers: int) -> list[str]:
    """Return the gunicorn command line production and `up` share."""
    # No access log, as gunicorn's default: one synchronous line per request cost the leaderboard
    # a third of its throughput under load. GUNICORN_CMD_ARGS="--access-logfile -" turns it on.
    return [
        sys.executable, "-m", "gunicorn",
        # SSE streams stay open and greenlets keep them cheap; this gevent worker takes turns
        # fairly between keep-alive connections.
        "--worker-class", "ultrathon.platform.web_worker.FairGeventWorker",
        "--worker-connections", "1000",
        "--workers", str(web_workers),
        "--bind", f"{host}:{port}",
        "--graceful-timeout", str(STOP_GRACE_S),
        "--name", "ultrathon-web",
        "ultrathon.platform.wsgi:app",
    ]


def ensure_redis(settings: Settings) -> tuple[Settings, object | None]:
    """Start the embedded Redis when none is configured; export its URL for child processes.

    Return the settings with the URL in force, and the embedded server (None when external).
    """
    from .queueing import embedded_redis_url, start_embedded_redis

    if settings.redis_url:
        return settings, None
    server = start_embedded_redis(settings.instance_path)
    url = embedded_redis_url(server)
    os.environ["REDIS_URL"] = url
    os.environ.setdefault("ULTRATHON_INSTANCE", str(settings.instance_path))
    return replace(settings, redis_url=url), server


def serve_web(settings: Settings, host: str, port: int, web_workers: int) -> int:
    """Run gunicorn until it stops, with Redis in place."""
    settings, server = ensure_redis(settings)
    try:
        return subprocess.call(gunicorn_argv(host, port, web_workers))
    except KeyboardInterrupt:
        return 0
    finally:
        if server is not None:
            stop_embedded_redis(server)


def prepare(settings: Settings, challenges_dir: str | None) -> str | None:
    """Migrate the database, load challenges and make sure the demo organiser exists.

    Return the demo organiser's password when this instance generated it.
    """
    from flask_migrate import upgrade

    from .app import create_app
    from .auth.service import create_user, find_user
    from .extensions import db

    app = create_app({"ULTRATHON": settings})
    with app.app_context():
        upgrade()
        folder = Path(challenges_dir) if challenges_dir else PACKAGE_ROOT / "challenges"
        _load_challenges(folder)
        password_file = settings.instance_path / "demo_organiser_password"
        if find_user(DEMO_ORGANISER) is None:
            password = new_password()
            create_user(DEMO_ORGANISER, "Demo organiser", password, is_admin=True)
            db.session.commit()
            fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(password)
        return password_file.read_text().strip() if password_file.exists() else None


def _load_challenges(folder: Path) -> None:
    """Load every challenge folder found under `folder`, reporting problems without stopping."""
    from .challenges.loader import LoadRefused, load_challenge_folder
    from ultrathon.challenge_folder import ChallengeInvalid

    if not folder.is_dir():
        print(f"no challenges folder at {folder}; none loaded")
        return
    for path in sorted(p for p in folder.iterdir() if (p / "challenge.yaml").is_file()):
        try:
            outcome = load_challenge_folder(path)
            print(f"challenge {path.name}: {outcome}")
        except ChallengeInvalid as exc:
            print(f"challenge {path.name} not loaded:\n{exc}")
        except LoadRefused as exc:
            print(f"challenge {path.name} not reloaded: {exc}")


def run_all(settings: Settings, *, host: str, port: int, workers: int, web_workers: int, challenges_dir: str | None) -> int:
    """Start Redis (embedded when none is configured), workers and web; stop them all on a signal."""
    settings, embedded = ensure_redis(settings)
    env = os.environ.copy()
    password = prepare(settings, challenges_dir)
    children: list[subprocess.Popen] = []

    def stop(*_args) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        children.append(_spawn([sys.executable, "-m", "ultrathon.cli", "worker", "--processes", str(workers)], env))
        children.append(_spawn(gunicorn_argv(host, port, web_workers), env))
        url = f"http://{host}:{port}"
        print(f"\nUltrathon is running at {url}")
        print(f"  organiser login: {DEMO_ORGANISER}" + (f" / {password}" if password else ""))
        print(f"  redis: {'embedded at ' if embedded else ''}{settings.redis_url}")
        print("Press Ctrl-C to stop.\n", flush=True)
        while True:
            for child in children:
                if child.poll() is not None:
                    print(f"process {child.args[2:4]} exited with {child.returncode}; stopping", file=sys.stderr)
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
        return 0
    finally:
        _stop(children)
        if embedded is not None:
            stop_embedded_redis(embedded)


def _spawn(argv: list[str], env: dict[str, str]) -> subprocess.Popen:
    # A session of its own lets us signal the child and all of its children together.
    return subprocess.Popen(argv, env=env, start_new_session=True)


def _stop(children: list[subprocess.Popen]) -> None:
    """Stop every child and everything it started: politely first, then for good."""
    stop_process_trees([child.pid for child in children], STOP_GRACE_S + 5)
    for child in children:
        child.poll()  # reap, so no zombie outlives us
