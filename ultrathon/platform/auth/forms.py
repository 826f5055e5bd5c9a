"""The account forms; each field error says what is wrong with that field, in the page's language."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from ..languages.lazy import _l
from .service import MIN_PASSWORD_LENGTH

# The shape of an address, not its deliverability: a typo in the domain is caught by the reset mail.
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
# Every validator has its own message: WTForms' built-in ones are English (and have no Danish catalog).


def _password_field(label) -> PasswordField:
    return PasswordField(label, validators=[
        DataRequired(message=_l("Enter a password.")),
        Length(min=MIN_PASSWORD_LENGTH, max=1024,
               message=_l("The password must be at least %(num)s characters long.", num=MIN_PASSWORD_LENGTH)),
    ], description=_l("At least %(num)s characters; a phrase of several words is easy to remember.", num=MIN_PASSWORD_LENGTH))


def _confirm_field() -> PasswordField:
    return PasswordField(_l("Repeat the password"), validators=[
        DataRequired(message=_l("Repeat the password.")),
        EqualTo("password", message=_l("The two passwords differ.")),
    ])


def _email_field() -> EmailField:
    return EmailField(_l("E-mail address"), validators=[
        DataRequired(message=_l("Enter your e-mail address.")),
        Regexp(_EMAIL, message=_l("This is not an e-mail address.")),
        Length(max=254, message=_l("An e-mail address has at most 254 characters.")),
    ])


def _display_name_field(description=None) -> StringField:
    return StringField(_l("Display name"), validators=[
        DataRequired(message=_l("Enter the name others will see.")),
        Length(max=100, message=_l("A display name has at most 100 characters.")),
    ], description=description)


class RegisterForm(FlaskForm):
    """Create an account."""

    email = _email_field()
    name = _display_name_field(_l("Shown to your team mates and organisers."))
    password = _password_field(_l("Password"))
    confirm = _confirm_field()


class LoginForm(FlaskForm):
    """Log in with e-mail and password."""

    email = _email_field()
    password = PasswordField(_l("Password"), validators=[DataRequired(message=_l("Enter your password."))])
    remember = BooleanField(_l("Keep me logged in on this computer"))


class ResetRequestForm(FlaskForm):
    """Ask for a password-reset link."""

    email = _email_field()


class NewPasswordForm(FlaskForm):
    """Choose a new password."""

    password = _password_field(_l("New password"))
    confirm = _confirm_field()


class PasswordChangeForm(FlaskForm):
    """Change the password, knowing the current one."""

    current = PasswordField(_l("Current password"), validators=[DataRequired(message=_l("Enter your current password."))])
    password = _password_field(_l("New password"))
    confirm = _confirm_field()


class ProfileForm(FlaskForm):
    """Change the display name."""

    name = _display_name_field()


class TokenForm(FlaskForm):
    """Create an API token."""

    name = StringField(_l("Token name"), validators=[
        Optional(), Length(max=100, message=_l("A token name has at most 100 characters.")),
    ], description=_l("What the token is for, e.g. \"laptop\" or \"CI pipeline\"."))


class EraseAccountForm(FlaskForm):
    """Ask for the account's erasure, confirmed with the password."""

    password = PasswordField(_l("Your password"), validators=[DataRequired(message=_l("Enter your password to confirm."))])
