"""Submissions: accepting uploads, quotas, organiser actions, and the team's submissions page."""

from flask import Blueprint

bp = Blueprint("submissions", __name__)

from . import routes  # noqa: E402,F401
