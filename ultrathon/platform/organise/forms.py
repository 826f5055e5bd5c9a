"""The organisers' forms; each field error says what is wrong with that field."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

MAX_REASON = 1000
MAX_NOTE = 500
MAX_BASELINE_NAME = 80


class ActionForm(FlaskForm):
    """A button that changes something (re-score, cancel, requalify): only the CSRF token."""


class DisqualifyForm(FlaskForm):
    """Disqualify a team, saying why."""

    reason = TextAreaField("Reason", validators=[
        DataRequired(message="Give the reason for disqualifying the team; it is shown to the team and kept in the audit log."),
        Length(max=MAX_REASON, message=f"A reason has at most {MAX_REASON} characters."),
    ], description="Shown to the team and kept in the audit log.")


class BaselineForm(FlaskForm):
    """Upload an organiser's own predictions, shown on the leaderboard with a badge and not ranked."""

    file = FileField("Prediction file (CSV)", validators=[FileRequired(message="Choose the baseline's prediction CSV file.")])
    name = StringField("Baseline name", default="Baseline", validators=[
        DataRequired(message="Give the baseline a name, as the leaderboard will show it."),
        Length(max=MAX_BASELINE_NAME, message=f"A baseline name has at most {MAX_BASELINE_NAME} characters."),
    ], description="Shown on the leaderboard, with a baseline badge.")
    note = StringField("Note", validators=[
        Optional(), Length(max=MAX_NOTE, message=f"A note has at most {MAX_NOTE} characters."),
    ], description="For example the method: “logistic regression on age and sex”.")


class ChallengeUploadForm(FlaskForm):
    """Upload a zip of a challenge folder to create or update the challenge."""

    file = FileField("Challenge folder as a zip", validators=[FileRequired(message="Choose the zip of the challenge folder.")],
                     description="challenge.yaml at the top of the zip or inside its one top folder, with its files beside it.")
    rescore = BooleanField("Re-score every submission if the solution, metrics or split changed")


class PublishForm(FlaskForm):
    """Publish a closed challenge's final standings, with an optional note shown beside them."""

    note = StringField("Note", validators=[
        Optional(), Length(max=MAX_NOTE, message=f"A note has at most {MAX_NOTE} characters."),
    ], description="Optional; shown on the leaderboard beside the date, e.g. “two teams disqualified for label leakage”.")
