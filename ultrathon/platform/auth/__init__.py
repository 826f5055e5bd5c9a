"""Accounts: registration, log-in, password reset, API tokens."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
# Views attach to `bp` when app.py imports `.routes`; importing this package stays light,
# so service modules beside it can be imported without pulling in every view.
