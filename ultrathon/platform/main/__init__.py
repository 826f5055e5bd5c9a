"""The home page: open and recent challenges."""

from flask import Blueprint

bp = Blueprint("main", __name__)
# Views attach to `bp` when app.py imports `.routes`; importing this package stays light,
# so service modules beside it can be imported without pulling in every view.
