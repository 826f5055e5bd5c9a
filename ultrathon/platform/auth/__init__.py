"""Accounts: registration, log-in, password reset, API tokens."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
