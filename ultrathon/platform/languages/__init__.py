"""The language each page, message and e-mail is written in, and the picker that changes it."""

from flask import Blueprint

bp = Blueprint("languages", __name__)
# Views attach to `bp` when app.py imports `.routes`.
