"""The leaderboard: standings, their cache, uncertainty and live updates."""

from flask import Blueprint

bp = Blueprint("leaderboard", __name__)

from . import routes  # noqa: E402,F401
