"""Submissions: accepting uploads, quotas, organiser actions, and the team's submissions page."""

from flask import Blueprint

bp = Blueprint("submissions", __name__)
# Views attach to `bp` when app.py imports `.routes`; importing this package stays light,
# so service modules beside it can be imported without pulling in every view.
