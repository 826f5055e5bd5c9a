"""The organisers' dashboard."""

from flask import Blueprint

bp = Blueprint("organise", __name__)

from . import routes  # noqa: E402,F401
