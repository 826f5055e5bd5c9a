"""Messages defined before any request (form labels, validator messages), written when shown."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape


class LazyText(LazyString):
    """A message translated when shown, and escaped like any text (Flask-Babel's own passes for markup in Jinja)."""

    def __html__(self) -> Markup:
        return escape(str(self))


def _l(message: str, **params) -> LazyText:
    """Mark a label, help text or error; it is written in the language of the page that shows it."""
    return LazyText(gettext, message, **params)
