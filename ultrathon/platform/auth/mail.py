"""Outgoing mail: SMTP when configured, else the message is written to the log; each in its recipient's language."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

from flask import current_app, has_request_context, render_template
from flask_babel import force_locale, get_locale

from ...i18n import SOURCE_LANGUAGE, gettext, speaking, supported

log = logging.getLogger("ultrathon.mail")


def recipient_language(user, challenge=None) -> str:
    """Return the language to write to a person in: their setting, else the challenge's, else the request's, else English."""
    challenge_language = (challenge.spec or {}).get("language") if challenge is not None else None
    request_language = str(get_locale()) if challenge is None and has_request_context() and get_locale() else None
    return supported(getattr(user, "language", None)) or supported(challenge_language) or \
        supported(request_language) or SOURCE_LANGUAGE


@contextmanager
def written_for(user, challenge=None) -> Iterator[str]:
    """Write every message and template of the block in the person's language; yield that language."""
    language = recipient_language(user, challenge)
    # Templates follow Flask-Babel's locale, messages of ultrathon.i18n the spoken language: both are set.
    with force_locale(language), speaking(language):
        yield language


def mail_user(user, subject: str, template: str, **context) -> bool:
    """Mail the person a template's text under a subject (marked with N_), both in their language."""
    with written_for(user):
        body = render_template(template, user=user, **context)
        subject = gettext(subject)
    return send_mail(user.email, subject, body)


def send_mail(to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> bool:
    """Send a plain-text message, with any extra headers; return whether it left through SMTP (False: logged instead)."""
    settings = current_app.config["ULTRATHON"]
    if not settings.smtp_host:
        # No mail server (a laptop, a closed hospital network): the operator reads the log.
        extra = "".join(f"{name}: {value}\n" for name, value in (headers or {}).items())
        log.warning("no SMTP_HOST set; mail to %s not sent.\nSubject: %s\n%s\n%s", to, subject, extra, body)
        return False
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    try:
        if settings.smtp_port == 465:
            smtp = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=15, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15)
        with smtp:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        # The person asking must not learn more than usual; the operator needs the failure.
        log.exception("could not send mail to %s through %s:%s", to, settings.smtp_host, settings.smtp_port)
        return False
    return True
