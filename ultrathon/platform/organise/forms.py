"""The organisers' forms; each field error says what is wrong with that field."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..languages.lazy import _l

MAX_REASON = 1000
MAX_NOTE = 500
MAX_BASELINE_NAME = 80
MAX_AGENT_NAME = 100  # AgentToken.name's column


# Length fills %(max)d itself, so the messages name the limit without knowing it.
REASON_TOO_LONG = _l("A reason has at most %(max)d characters.")
NOTE_TOO_LONG = _l("A note has at most %(max)d characters.")


class ActionForm(FlaskForm):
    """A button that changes something (re-score, cancel, requalify): only the CSRF token."""


class DisqualifyForm(FlaskForm):
    """Disqualify a team, saying why."""

    reason = TextAreaField(_l("Reason"), validators=[
        DataRequired(message=_l("Give the reason for disqualifying the team; it is shown to the team and kept in the audit log.")),
        Length(max=MAX_REASON, message=REASON_TOO_LONG),
    ], description=_l("Shown to the team and kept in the audit log."))


class SuspendForm(FlaskForm):
    """Suspend a participant from the challenge, saying why."""

    reason = StringField(_l("Reason"), validators=[
        DataRequired(message=_l("Give the reason for the suspension; it is shown to the participant and kept in the audit log.")),
        Length(max=MAX_REASON, message=REASON_TOO_LONG),
    ])


class BaselineForm(FlaskForm):
    """Upload an organiser's own predictions, shown on the leaderboard with a badge and not ranked."""

    file = FileField(_l("Prediction file (CSV)"), validators=[FileRequired(message=_l("Choose the baseline's prediction CSV file."))])
    # Called when the form is drawn, so the suggested name is in the page's language (and a plain string).
    name = StringField(_l("Baseline name"), default=lambda: _("Baseline"), validators=[
        DataRequired(message=_l("Give the baseline a name, as the leaderboard will show it.")),
        Length(max=MAX_BASELINE_NAME, message=_l("A baseline name has at most %(max)d characters.")),
    ], description=_l("Shown on the leaderboard, with a baseline badge."))
    note = StringField(_l("Note"), validators=[
        Optional(), Length(max=MAX_NOTE, message=NOTE_TOO_LONG),
    ], description=_l("For example the method: “logistic regression on age and sex”."))


class ChallengeUploadForm(FlaskForm):
    """Upload a zip of a challenge folder to create or update the challenge."""

    file = FileField(_l("Challenge folder as a zip"), validators=[FileRequired(message=_l("Choose the zip of the challenge folder."))],
                     description=_l("challenge.yaml at the top of the zip or inside its one top folder, with its files beside it."))
    rescore = BooleanField(_l("Re-score every submission if the solution, metrics or split changed"))


class AgentTokenForm(FlaskForm):
    """Create a scoring agent's token for this challenge (and one of its sites, when it has several)."""

    name = StringField(_l("Agent name"), validators=[
        DataRequired(message=_l("Give the agent a name, e.g. its site or host, to tell it apart on this page.")),
        Length(max=MAX_AGENT_NAME, message=_l("An agent name has at most %(max)d characters.")),
    ], description=_l("For example “odense-rigshospitalet”."))
    site = SelectField(_l("Site"), validate_choice=False,
                       description=_l("The site whose hidden rows this agent holds; it scores only that site's part."))

    def validate_site(self, field) -> None:
        """Refuse a site the challenge does not name; a challenge with sites needs one."""
        sites = [value for value, _label in field.choices if value]
        if field.data not in sites:
            raise ValidationError(_("Choose the site this agent scores for: one of %(sites)s.", sites=", ".join(sites)))

    def with_sites(self, sites: list[str]) -> "AgentTokenForm":
        """Offer the challenge's sites; drop the field when it has none."""
        if sites:
            self.site.choices = [("", _("Choose a site…")), *[(s, s) for s in sites]]
        else:
            del self.site
        return self


class PublishForm(FlaskForm):
    """Publish a closed challenge's final standings, with an optional note shown beside them."""

    note = StringField(_l("Note"), validators=[
        Optional(), Length(max=MAX_NOTE, message=NOTE_TOO_LONG),
    ], description=_l("Optional; shown on the leaderboard beside the date, e.g. “two teams disqualified for label leakage”."))
