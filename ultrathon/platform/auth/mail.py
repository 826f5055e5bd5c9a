"""Outgoing mail: SMTP when configured, else the message is written to the log."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger("ultrathon.mail")


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
