"""E-mail notifications: each person's settings, the mails in their language, and the one-click unsubscribe."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)
# Views attach to `bp` when app.py imports `.routes`; the triggers import `.triggers` alone.
