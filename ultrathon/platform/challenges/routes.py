"""Challenge pages: the overview, the data-use terms, and downloads of the public files."""

from __future__ import annotations

import mimetypes
from datetime import datetime, timezone

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ...i18n import N_, gettext as _
from ...metric_catalogue import CATALOGUE
from ..audit import record
from ..extensions import db
from ..governance.gate import participation_refusal
from ..models import ChallengeFile, utcnow
from ..teams.service import accept_terms
from ..terms.acceptance import earlier_acceptance
from ..terms.attestation import AttestationError, attest_deletion, attestation_panel
from . import bp
from .access import acceptance_in_force, has_accepted_terms, held_back_message, held_until, is_organiser, team_of, terms_version
from .render import render_markdown
from .views import challenge_or_404, metric_facts


@bp.app_template_filter("utc")
def utc_filter(moment: datetime | None) -> datetime | None:
    """Return a time in UTC, whatever zone it was read or written in."""
    return moment.astimezone(timezone.utc) if moment is not None else None


# What each kind of task is called on the pages.
TASK_NAMES = {"binary": N_("binary classification"), "multiclass": N_("multiclass classification"),
              "regression": N_("regression"), "survival": N_("survival analysis")}


@bp.app_template_global()
def metric_label(name: str) -> str:
    """Return a catalogue metric's label, for a page that names the metric by code."""
    return _(CATALOGUE[name].label)


@bp.app_template_global()
def task_name(task: str) -> str:
    """Return what a kind of task is called in the page's language (an unknown one as it is written)."""
    return _(TASK_NAMES[task]) if task in TASK_NAMES else task


@bp.app_context_processor
def challenge_helpers() -> dict:
    """Give every template the access rule the navigation needs."""
    return {"is_organiser": is_organiser, "attestation_panel": attestation_panel}


def _written_time(moment: datetime) -> str:
    """Return a spec time as the organisers wrote it, with its UTC offset, e.g. 2027-02-15 12:00 +01:00."""
    offset = moment.strftime("%z")
    return moment.strftime("%Y-%m-%d %H:%M ") + (offset[:3] + ":" + offset[3:] if offset else "")


def _without_title(markdown: str, title: str) -> str:
    """Drop a leading "# Title" line that repeats the challenge's title, which the page shows already."""
    first, _newline, rest = (markdown or "").lstrip().partition("\n")
    return rest if first.strip() == f"# {title}" else markdown


@bp.get("/challenges")
def challenge_list():
    """Send the list to the home page, which is the challenge list."""
    return redirect(url_for("main.index"), 301)


@bp.get("/challenges/<slug>")
def overview(slug: str):
    """Show a challenge: description, timeline, metric, data, terms and how to take part."""
    challenge = challenge_or_404(slug)
    user = current_user if current_user.is_authenticated else None
    spec = challenge.settings
    return render_template(
        "challenges/overview.html",
        challenge=challenge,
        spec=spec,
        description=render_markdown(_without_title(challenge.description_md, challenge.title), heading_offset=1),
        metrics=metric_facts(challenge),
        written_opens=_written_time(spec.opens),
        written_closes=_written_time(spec.closes),
        files=challenge.files,
        held={f.name: until for f in challenge.files if (until := held_until(challenge, f.name)) is not None},
        team=team_of(user, challenge),
        acceptance=acceptance_in_force(user, challenge),
        earlier=earlier_acceptance(user, challenge),  # terms accepted before the text in force changed
        terms=spec.terms,
        terms_version=terms_version(challenge),
        now=utcnow(),
    )


@bp.post("/challenges/<slug>/terms")
@login_required
def accept(slug: str):
    """Record the user's acceptance of the data-use terms in force."""
    challenge = challenge_or_404(slug)
    if request.form.get("accept") != "yes":
        flash(_("Tick the box to accept the data-use terms; nothing was recorded."), category="error")
    else:
        accept_terms(challenge, current_user._get_current_object())
        db.session.commit()
        flash(_("You accepted the data-use terms (version %(version)s). The data are yours to download.",
                version=terms_version(challenge)), category="success")
    return _back_inside(challenge, "terms")


def _back_inside(challenge, anchor: str):
    """Redirect to the form's `next` page, if it is inside this challenge; else to the overview's anchor."""
    target = request.form.get("next") or ""
    # Only a path inside this challenge: the field comes from a form anyone could forge.
    if not target.startswith(f"/challenges/{challenge.slug}") or "//" in target:
        target = url_for("challenges.overview", slug=challenge.slug, _anchor=anchor)
    return redirect(target)


@bp.post("/challenges/<slug>/attest-deletion")
@login_required
def attest(slug: str):
    """Record the user's attestation, after the close, that they deleted the challenge's data."""
    challenge = challenge_or_404(slug)
    try:
        attest_deletion(challenge, current_user._get_current_object(), request.form.get("attest") == "yes")
    except AttestationError as error:
        db.session.rollback()
        flash(_("No attestation was recorded: %(reason)s.", reason=error), category="error")
    else:
        flash(_("Your attestation that you deleted the data is recorded. Thank you."), category="success")
    return _back_inside(challenge, "attestation")


@bp.get("/challenges/<slug>/files/<name>")
@login_required
def download(slug: str, name: str):
    """Send a public file to a user who accepted the terms, and record that they took it."""
    challenge = challenge_or_404(slug)
    user = current_user._get_current_object()
    # Only ChallengeFile rows are served: the hidden solution is never one of them.
    item = db.session.execute(
        db.select(ChallengeFile).where(ChallengeFile.challenge_id == challenge.id, ChallengeFile.name == name)
    ).scalar_one_or_none()
    if item is None:
        abort(404, description=_("The challenge %(slug)r has no public file called %(name)r.", slug=challenge.slug, name=name))
    organiser = is_organiser(user, challenge)
    refusal = None if organiser else participation_refusal(user, challenge)
    if refusal is not None:
        return render_template("challenges/download_refused.html", challenge=challenge, name=name, refusal=refusal), 403
    if not has_accepted_terms(user, challenge) and not organiser:
        return render_template("challenges/terms_required.html", challenge=challenge, name=name), 403
    until = held_until(challenge, item.name)
    if until is not None and not organiser:  # a later phase's file: organisers check it before it is out
        abort(403, description=held_back_message(challenge, item.name, until))
    record("file.download", actor=user, challenge=challenge, target=item, name=item.name, sha256=item.sha256)
    db.session.commit()
    mimetype = "text/csv" if name.lower().endswith(".csv") else (mimetypes.guess_type(name)[0] or "application/octet-stream")
    return Response(item.content, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{item.name}"',  # names are plain (spec.plain_file_name)
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    })
