"""Account pages: register, log in and out, change or reset a password, profile, API tokens, export and erasure."""

from __future__ import annotations

import math
import time
from functools import lru_cache

from flask import Response, abort, current_app, flash, g, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from flask_login.config import COOKIE_NAME

from ...i18n import N_
from ..arguments import safe_next
from ..audit import record
from ..extensions import db, limiter, login_manager
from ..governance.verification import VerifyLinkError, send_verification, user_for_verify_token, verify_email
from ..models import ApiToken, User, utcnow
from ..notifications.forms import settings_form
from . import bp
from .erasure import erase_user, export_user_data
from .forms import EraseAccountForm, LoginForm, NewPasswordForm, PasswordChangeForm, ProfileForm, RegisterForm, ResetRequestForm, TokenForm
from .mail import mail_user
from .reset import RESET_LIFETIME_S, ResetLinkError, make_reset_token, set_new_password, user_for_reset_token
from .service import AccountError, change_password, create_user, find_user, hash_password, verify_password
from .tokens import create_token, revoke_token

login_manager.login_view = "auth.login"
login_manager.login_message = N_("Log in to see that page.")
login_manager.login_message_category = "info"
login_manager.localize_callback = _  # the message is flashed in the request's language


@bp.before_app_request
def _load_the_user_afresh() -> None:
    """Check every request's session against the account, never reusing an earlier request's user."""
    # Flask-Login keeps the user on `g`, which lives as long as the app context; where one context
    # outlives a request (tests, the CLI) a session ended meanwhile would otherwise still pass.
    g.pop("_login_user", None)


@lru_cache(maxsize=1)
def _dummy_user() -> User:
    """Return an unsaved user to check passwords against when the address is unknown.

    A wrong address then costs as long as a wrong password, so timing does not tell which.
    """
    return User(email="", name="", password_hash=hash_password("not a real password, only for timing"))


def _sentence(error: Exception) -> str:
    """Return a service's refusal as a sentence under a form field."""
    message = str(error)
    return message[:1].upper() + message[1:] + ("" if message.endswith((".", "?", "!")) else ".")


def _form_email_key() -> str:
    """Key a limit by the address typed in, so one account cannot be guessed at from many hosts."""
    return "email:" + ((request.form.get("email") or "").strip().lower() or get_remote_address())


def _too_many_attempts(limit) -> Response:
    """Answer a breached limit with a page that says how long to wait."""
    wait = max(1, math.ceil(limit.reset_at - time.time()))
    response = make_response(render_template("auth/too_many.html", wait=wait), 429)
    response.headers["Retry-After"] = str(wait)
    return response


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"], on_breach=_too_many_attempts)
def register():
    """Create an account and log in."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = create_user(form.email.data, form.name.data, form.password.data, verified=False)
        except AccountError as error:
            field = form.password if error.field == "password" else form.email
            field.errors = [*field.errors, _sentence(error)]
        else:
            db.session.flush()
            record("user.register", actor=user, target=user)
            user.last_login_at = utcnow()
            send_verification(user)
            db.session.commit()
            login_user(user)
            flash(_("Welcome, %(name)s. We mailed a link to %(email)s: follow it to verify the address, which you need "
                    "before joining a team, downloading data or uploading.", name=user.name, email=user.email), category="success")
            return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
    return render_template("auth/register.html", form=form), (400 if form.errors else 200)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"], on_breach=_too_many_attempts)
@limiter.limit("30 per hour", methods=["POST"], key_func=_form_email_key, on_breach=_too_many_attempts)
def login():
    """Log in with e-mail address and password."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = find_user(form.email.data)
        if user is None:
            verify_password(_dummy_user(), form.password.data)
        elif verify_password(user, form.password.data):
            if not user.is_active:
                form.email.errors = [*form.email.errors, _("This account has been disabled; write to the organisers.")]
                return render_template("auth/login.html", form=form), 403
            user.last_login_at = utcnow()
            record("user.login", actor=user, target=user)
            db.session.commit()
            login_user(user, remember=bool(form.remember.data))
            return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
        form.password.errors = [*form.password.errors, _("That e-mail address and password do not match an account.")]
    return render_template("auth/login.html", form=form), (400 if form.errors else 200)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """Log out (POST); a GET shows the button, so a link elsewhere cannot log anyone out."""
    if request.method == "GET":
        if not current_user.is_authenticated:
            return redirect(url_for("main.index"))
        return render_template("auth/logout.html")
    logout_user()
    flash(_("You are logged out."), category="info")
    return redirect(url_for("main.index"))


@bp.route("/reset-password", methods=["GET", "POST"])
@limiter.limit("5 per 15 minutes", methods=["POST"], on_breach=_too_many_attempts)
@limiter.limit("3 per hour", methods=["POST"], key_func=_form_email_key, on_breach=_too_many_attempts)
def reset_request():
    """Mail a reset link to the address, if it has an account; the answer is the same either way."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        user = find_user(form.email.data)
        if user is not None and user.is_active:
            path = url_for("auth.reset_password", token=make_reset_token(user))
            base_url = current_app.config["ULTRATHON"].base_url
            # Behind a proxy the request's own host may be an internal name; the configured one is not.
            link = base_url.rstrip("/") + path if base_url else request.host_url.rstrip("/") + path
            mail_user(user, N_("Reset your Ultrathon password"), "auth/reset_mail.txt", link=link,
                      hours=RESET_LIFETIME_S // 3600)
            record("user.reset_requested", actor=user, target=user)
            db.session.commit()
        return render_template("auth/reset_sent.html", email=form.email.data.strip())
    return render_template("auth/reset_request.html", form=form), (400 if form.errors else 200)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Set a new password through a reset link."""
    try:
        user = user_for_reset_token(token)
    except ResetLinkError as error:
        return render_template("auth/reset_invalid.html", message=str(error)), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            set_new_password(user, form.password.data)
        except AccountError as error:
            form.password.errors = [*form.password.errors, _sentence(error)]
        else:
            logout_user()
            flash(_("Your password is changed and every session of your account is logged out. "
                    "Log in with the new password."), category="success")
            return redirect(url_for("auth.login"))
    response = make_response(render_template("auth/reset_password.html", form=form, user=user), 400 if form.errors else 200)
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in this page's address
    return response


@bp.get("/verify-email/<token>")
def verify_email_link(token: str):
    """Verify the address a link was mailed to; a used, expired or broken link gets a page saying so."""
    try:
        user = user_for_verify_token(token)
    except VerifyLinkError as error:
        return render_template("auth/verify_invalid.html", message=str(error)), 400
    verify_email(user)
    db.session.commit()
    flash(_("Your e-mail address %(email)s is verified. You can now join teams, download data and upload.", email=user.email),
          category="success")
    return redirect(url_for("auth.account") if current_user.is_authenticated else url_for("auth.login"))


@bp.post("/account/verify")
@limiter.limit("5 per hour", methods=["POST"], on_breach=_too_many_attempts)
@login_required
def resend_verification():
    """Mail a new verification link to the logged-in user's address."""
    user = current_user._get_current_object()
    if user.email_verified_at is not None:
        flash(_("Your e-mail address is verified already."), category="info")
    else:
        send_verification(user, "user.verification_resent")
        db.session.commit()
        flash(_("A new verification link is on its way to %(email)s; it works once.", email=user.email), category="success")
    return redirect(url_for("auth.account", _anchor="verify"))


def _account_page(profile: ProfileForm, token_form: TokenForm, new_secret: str | None = None, status: int = 200,
                  password_form: PasswordChangeForm | None = None, erase_form: EraseAccountForm | None = None,
                  notification_form=None):
    password_form = password_form or PasswordChangeForm(prefix="password", formdata=None)
    erase_form = erase_form or EraseAccountForm(prefix="erase", formdata=None)
    notification_form = notification_form or settings_form(current_user)
    tokens = db.session.execute(
        db.select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).scalars().all()
    response = make_response(render_template(
        "auth/account.html", profile=profile, token_form=token_form, password_form=password_form, tokens=tokens,
        erase_form=erase_form, notification_form=notification_form,
        new_secret=new_secret, now=utcnow()), status)
    response.headers["Cache-Control"] = "no-store"  # a new token's secret is on this page once
    return response


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """Show the profile and API tokens; a POST changes the display name."""
    profile = ProfileForm(obj=current_user, prefix="profile")
    if request.method == "POST":
        if profile.validate_on_submit():
            current_user.name = profile.name.data.strip()
            db.session.commit()
            flash(_("Your display name is changed."), category="success")
            return redirect(url_for("auth.account"))
        return _account_page(profile, TokenForm(prefix="token", formdata=None), status=400)
    return _account_page(profile, TokenForm(prefix="token", formdata=None))


@bp.post("/account/password")
@limiter.limit("10 per hour", methods=["POST"], on_breach=_too_many_attempts)
@login_required
def change_account_password():
    """Change the password; every other session of the account ends, this one stays."""
    form = PasswordChangeForm(prefix="password")
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            change_password(user, form.current.data, form.password.data)
        except AccountError as error:
            field = form.current if error.field == "current" else form.password
            field.errors = [*field.errors, _sentence(error)]
        else:
            # change_password moved the session id on; logging in again hands this browser the new one,
            # and a new remember cookie if it had one.
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies
            login_user(user, remember=remembered)
            flash(_("Your password is changed, and every other session of your account is logged out. "
                    "Your API tokens still work: revoke below any you no longer trust."), category="success")
            return redirect(url_for("auth.account"))
    return _account_page(ProfileForm(obj=current_user, prefix="profile", formdata=None), TokenForm(prefix="token", formdata=None),
                         password_form=form, status=400)


@bp.post("/account/tokens")
@login_required
def create_api_token():
    """Create an API token and show its secret this once."""
    form = TokenForm(prefix="token")
    if not form.validate_on_submit():
        return _account_page(ProfileForm(obj=current_user, prefix="profile", formdata=None), form, status=400)
    _token, secret = create_token(current_user._get_current_object(), (form.name.data or "").strip())
    db.session.commit()
    return _account_page(ProfileForm(obj=current_user, prefix="profile", formdata=None), TokenForm(prefix="token", formdata=None), new_secret=secret)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int):
    """Revoke one of the user's own API tokens."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    revoke_token(token, current_user._get_current_object())
    db.session.commit()
    flash(_("Token %(prefix)s… is revoked; it no longer works.", prefix=token.prefix), category="success")
    return redirect(url_for("auth.account"))


@bp.get("/account/export.json")
@login_required
def export_account_data():
    """Download everything kept about the logged-in person, as JSON."""
    response = jsonify(export_user_data(current_user._get_current_object()))
    response.headers["Content-Disposition"] = 'attachment; filename="ultrathon-my-data.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/erase")
@limiter.limit("10 per hour", methods=["POST"], on_breach=_too_many_attempts)
@login_required
def erase_account():
    """Erase the logged-in person's account after checking their password, and log them out."""
    form = EraseAccountForm(prefix="erase")
    user = current_user._get_current_object()
    if form.validate_on_submit():
        if not verify_password(user, form.password.data):
            form.password.errors = [*form.password.errors, _("That is not your password; nothing was erased.")]
        else:
            try:
                erase_user(user, actor=user, via="account page")
            except AccountError as error:
                form.password.errors = [*form.password.errors, _sentence(error)]
            else:
                logout_user()
                flash(_("Your account is erased: your name, e-mail address, password and tokens are gone, "
                        "and your team's scores stay under a pseudonym."), category="success")
                return redirect(url_for("main.index"))
    return _account_page(ProfileForm(obj=current_user, prefix="profile", formdata=None), TokenForm(prefix="token", formdata=None),
                         erase_form=form, status=400)
