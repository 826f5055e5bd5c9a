"""The leaderboard: standings, their cache, uncertainty and live updates."""

from flask import Blueprint

bp = Blueprint("leaderboard", __name__)
# Views attach to `bp` when app.py imports `.routes`; importing this package stays light,
# so service modules beside it can be imported without pulling in every view.
