"""Writing and sending one notification: in the recipient's language, with its one-click unsubscribe link."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from flask import render_template
from flask_babel import gettext as _

from ..auth import mail
from ..models import Challenge, User
from .links import absolute_url, make_unsubscribe_token
from .settings import KIND_LABELS, wanting

log = logging.getLogger(__name__)
ONE_CLICK = "List-Unsubscribe=One-Click"  # RFC 8058: the mail client POSTs this to the List-Unsubscribe address


def send_notification(user: User, kind: str, template: str, subject: Callable[[], str],
                      challenge: Challenge | None = None, **context: Any) -> bool:
    """Mail one person one notification in their language; return whether it reached the mail path (never raise)."""
    try:
        unsubscribe_url = absolute_url("notifications.unsubscribe", token=make_unsubscribe_token(user, kind))
        with mail.written_for(user, challenge):
            title = subject()
            body = render_template(f"notifications/{template}.txt", user=user, challenge=challenge,
                                   kind_label=_(KIND_LABELS[kind]), unsubscribe_url=unsubscribe_url,
                                   settings_url=absolute_url("auth.account", anchor="notifications"), **context)
        headers = {"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": ONE_CLICK}
        mail.send_mail(user.email, title, body, headers=headers)
    except Exception:  # noqa: BLE001 - a notification must never break what it reports on
        log.exception("could not send the %s notification to user %s", kind, user.id)
        return False
    return True


def notify(users: Iterable[User], kind: str, template: str, subject: Callable[[], str],
           challenge: Challenge | None = None, per_person: Callable[[User], dict] | None = None, **context: Any) -> int:
    """Mail each person who wants this kind of e-mail; return to how many it went out."""
    sent = 0
    for user in wanting(users, kind):
        sent += send_notification(user, kind, template, subject, challenge, **context, **_extra(per_person, user))
    return sent


def _extra(per_person: Callable[[User], dict] | None, user: User) -> dict:
    """Return what only this person's mail says (their view of a score); nothing when it cannot be worked out."""
    if per_person is None:
        return {}
    try:
        return per_person(user)
    except Exception:  # noqa: BLE001 - the mail still goes out, without that part
        log.exception("could not prepare user %s's part of a notification", user.id)
        return {}
