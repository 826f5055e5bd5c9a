"""The account page's settings form: which e-mails a person wants, and the language pages and e-mails speak."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField

from ultrathon.i18n import LANGUAGE_NAMES

from ..languages.lazy import _l
from ..models import User
from .settings import KIND_LABELS, settings_of

FOLLOW_THE_BROWSER = ""  # no setting: the browser's language, then the challenge's


def _language_choices() -> list[SelectChoice]:
    # Each language named in itself, and marked as such, so its readers find it whatever the page speaks.
    return [SelectChoice(FOLLOW_THE_BROWSER, _l("Follow my browser")), *(
        SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGE_NAMES.items())]


class NotificationSettingsForm(FlaskForm):
    """Choose the kinds of e-mail wanted, and the language."""

    submission_failed = BooleanField(_l(KIND_LABELS["submission_failed"]))
    submission_scored = BooleanField(_l(KIND_LABELS["submission_scored"]))
    access_decided = BooleanField(_l(KIND_LABELS["access_decided"]))
    phase_opened = BooleanField(_l(KIND_LABELS["phase_opened"]))
    results_published = BooleanField(_l(KIND_LABELS["results_published"]))
    language = SelectField(
        _l("Language of pages and e-mails"), choices=_language_choices,
        invalid_choice_message=_l("Choose one of the languages offered, or “Follow my browser”."),
        description=_l("E-mails about a challenge follow its language when you choose none."))


def settings_form(user: User, submitted: bool = False) -> NotificationSettingsForm:
    """Return the settings form filled with the person's settings, or with what they sent."""
    data = {**settings_of(user), "language": user.language or FOLLOW_THE_BROWSER}
    if submitted:
        return NotificationSettingsForm(prefix="notifications", data=data)
    return NotificationSettingsForm(prefix="notifications", formdata=None, data=data)
