"""Teams: create, invite, join, leave, rename."""

from flask import Blueprint

bp = Blueprint("teams", __name__)
# Views attach to `bp` when app.py imports `.routes`; importing this package stays light,
# so service modules beside it can be imported without pulling in every view.
