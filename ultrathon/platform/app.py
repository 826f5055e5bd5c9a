"""The application factory."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from flask import Flask

from .arguments import IdConverter, refuse_nul
from .config import flask_config, load_settings
from .extensions import configure_sqlite, csrf, db, limiter, login_manager, migrate
from .headers import init_headers
from .languages.choice import init_languages
from .leaderboard.front import CachedStandingsFront

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS_DIR = PACKAGE_ROOT / "migrations"
BLUEPRINT_AREAS = ("health", "main", "languages", "auth", "notifications", "challenges", "teams", "submissions", "organise",
                   "leaderboard", "api")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app from the environment, with optional overrides (tests)."""
    config = dict(config or {})
    settings = config.pop("ULTRATHON", None) or load_settings()
    app = Flask(__name__, instance_path=str(settings.instance_path), instance_relative_config=False)
    app.config.update(flask_config(settings))
    app.config.update(config)

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    _init_limiter(app)
    init_headers(app)
    init_languages(app)

    from . import models  # noqa: F401  (registers the tables on the metadata)

    # Every <int:...> in a route is a database id; one too large for the column would fail in
    # the database instead of answering 404. Set before the routes are added, which bind it.
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_nul)  # first of all: the API's checks and every blueprint's come after

    for area in BLUEPRINT_AREAS:
        routes = importlib.import_module(f"{__package__}.{area}.routes")
        app.register_blueprint(routes.bp)
        if area == "api":
            csrf.exempt(routes.bp)  # the API authenticates with bearer tokens, not cookies

    from .governance.gate import refuse_suspended

    # Registered after the blueprints' app-wide hooks (the fresh user load among them), before any view.
    app.before_request(refuse_suspended)
    app.wsgi_app = CachedStandingsFront(app.wsgi_app)

    from .auth.service import user_for_session

    # A disabled account, or a session ended by a password change, loads as nobody.
    login_manager.user_loader(user_for_session)

    return app


def _init_limiter(app: Flask) -> None:
    """Keep rate-limit counters in Redis so every web process shares them."""
    settings = app.config["ULTRATHON"]
    if "RATELIMIT_STORAGE_URI" not in app.config:
        url = settings.redis_url
        if url is None:
            # Only one-off commands run without REDIS_URL: `up` and `web` always pass one on.
            url = "memory://"
        elif url.startswith("unix://"):
            url = "redis+unix://" + url[len("unix://"):]  # the limits library's spelling
        app.config["RATELIMIT_STORAGE_URI"] = url
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
