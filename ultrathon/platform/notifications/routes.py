"""The settings form's target and the one-click unsubscribe page (no login: the signed link is the key)."""

from __future__ import annotations

from flask import flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required

from ..audit import record
from ..auth.forms import ProfileForm, TokenForm
from ..auth.routes import _account_page
from ..extensions import csrf, db
from ..languages.choice import LANGUAGE_COOKIE
from . import bp
from .forms import settings_form
from .links import UnsubscribeLinkError, unsubscribe_target
from .settings import KIND_LABELS, KINDS, save_settings, turn_off


@bp.post("/account/notifications")
@login_required
def save_notification_settings():
    """Keep the person's e-mail and language settings."""
    form = settings_form(current_user, submitted=True)
    if not form.validate_on_submit():
        return _account_page(ProfileForm(obj=current_user, prefix="profile", formdata=None),
                             TokenForm(prefix="token", formdata=None), notification_form=form, status=400)
    user = current_user._get_current_object()
    save_settings(user, {kind: form[kind].data for kind in KINDS})
    user.language = form.language.data or None
    record("user.notification_settings", actor=user, target=user, language=user.language,
           **{kind: bool(form[kind].data) for kind in KINDS})
    db.session.commit()
    refresh()  # the confirmation speaks the language just chosen
    flash(_("Your e-mail and language settings are saved."), category="success")
    response = redirect(url_for("auth.account", _anchor="notifications"), 303)
    if user.language is None:
        response.delete_cookie(LANGUAGE_COOKIE)  # a visitor's earlier pick would otherwise still win over the browser
    return response


def _no_referrer(response):
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in this page's address
    return response


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the mail client POSTs with no session and no form token; the signed token authorises
def unsubscribe(token: str):
    """Turn one kind of e-mail off for the link's person: GET asks to confirm, POST (one click) does it."""
    try:
        user, kind = unsubscribe_target(token)
    except UnsubscribeLinkError as error:
        return _no_referrer(make_response(render_template("notifications/unsubscribe_invalid.html", message=str(error)), 400))
    g.language_user = user  # the page speaks the language the mail did, when the person chose one
    refresh()
    label = _(KIND_LABELS[kind])
    if request.method == "GET":
        return _no_referrer(make_response(render_template("notifications/unsubscribe.html", email=user.email, label=label)))
    if turn_off(user, kind):
        record("user.unsubscribe", actor=user, target=user, kind=kind)
    db.session.commit()
    return _no_referrer(make_response(render_template("notifications/unsubscribed.html", email=user.email, label=label)))
