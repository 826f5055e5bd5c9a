"""Challenges: loading folders into the database, and the challenge pages."""

from flask import Blueprint

bp = Blueprint("challenges", __name__)
# Views attach to `bp` when app.py imports `.routes`; importing this package stays light,
# so service modules beside it can be imported without pulling in every view.
