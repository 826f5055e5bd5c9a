"""Challenges: loading folders into the database, and the challenge pages."""

from flask import Blueprint

bp = Blueprint("challenges", __name__)

from . import routes  # noqa: E402,F401
