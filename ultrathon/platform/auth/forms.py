"""The account forms; each field error says what is wrong with that field."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from .service import MIN_PASSWORD_LENGTH

# The shape of an address, not its deliverability: a typo in the domain is caught by the reset mail.
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_PASSWORD_RULE = f"at least {MIN_PASSWORD_LENGTH} characters"


def _password_field(label: str = "Password") -> PasswordField:
    return PasswordField(label, validators=[
        DataRequired(message="Enter a password."),
        Length(min=MIN_PASSWORD_LENGTH, max=1024, message=f"The password must be {_PASSWORD_RULE} long."),
    ], description=_PASSWORD_RULE.capitalize() + "; a phrase of several words is easy to remember.")


def _confirm_field() -> PasswordField:
    return PasswordField("Repeat the password", validators=[
        DataRequired(message="Repeat the password."),
        EqualTo("password", message="The two passwords differ."),
    ])


def _email_field() -> EmailField:
    return EmailField("E-mail address", validators=[
        DataRequired(message="Enter your e-mail address."),
        Regexp(_EMAIL, message="This is not an e-mail address."),
        Length(max=254, message="An e-mail address has at most 254 characters."),
    ])


class RegisterForm(FlaskForm):
    """Create an account."""

    email = _email_field()
    name = StringField("Display name", validators=[
        DataRequired(message="Enter the name others will see."),
        Length(max=100, message="A display name has at most 100 characters."),
    ], description="Shown to your team mates and organisers.")
    password = _password_field()
    confirm = _confirm_field()


class LoginForm(FlaskForm):
    """Log in with e-mail and password."""

    email = _email_field()
    password = PasswordField("Password", validators=[DataRequired(message="Enter your password.")])
    remember = BooleanField("Keep me logged in on this computer")


class ResetRequestForm(FlaskForm):
    """Ask for a password-reset link."""

    email = _email_field()


class NewPasswordForm(FlaskForm):
    """Choose a new password."""

    password = _password_field("New password")
    confirm = _confirm_field()


class PasswordChangeForm(FlaskForm):
    """Change the password, knowing the current one."""

    current = PasswordField("Current password", validators=[DataRequired(message="Enter your current password.")])
    password = _password_field("New password")
    confirm = _confirm_field()


class ProfileForm(FlaskForm):
    """Change the display name."""

    name = StringField("Display name", validators=[
        DataRequired(message="Enter the name others will see."),
        Length(max=100, message="A display name has at most 100 characters."),
    ])


class TokenForm(FlaskForm):
    """Create an API token."""

    name = StringField("Token name", validators=[
        Optional(), Length(max=100, message="A token name has at most 100 characters."),
    ], description="What the token is for, e.g. \"laptop\" or \"CI pipeline\".")


class EraseAccountForm(FlaskForm):
    """Ask for the account's erasure, confirmed with the password."""

    password = PasswordField("Your password", validators=[DataRequired(message="Enter your password to confirm.")])
