"""The team's commands: they talk to a server over its API and never touch the database."""

from __future__ import annotations

import sys

import click

from ultrathon.i18n import N_, gettext as _, ngettext

from .translated import command, option

EXIT_FAILED, EXIT_USAGE, EXIT_QUOTA = 1, 2, 3
PHASE_OPTION_HELP = N_("The phase's slug (the challenge's current phase by default).")
JSON_OPTION_HELP = N_("Print JSON for machines.")


def _status(value: str) -> str:
    """Return a submission's status in the current language."""
    from ultrathon.client import status_word  # the client (and requests) only for the commands that call it

    return status_word(value)


def _api_client():
    """Return an API client from ULTRATHON_URL / ULTRATHON_TOKEN or the config file (exit 2 if unset)."""
    from ultrathon.client import Client, ClientConfigError

    try:
        return Client.from_environment()
    except ClientConfigError as exc:
        click.echo(_("error: %(reason)s", reason=exc), err=True)
        sys.exit(EXIT_USAGE)


def _run_api(call):
    """Run a client call; turn its errors into a message and the documented exit code."""
    import requests

    from ultrathon.client import ApiError

    try:
        return call()
    except ApiError as exc:
        # The detail of an invalid file repeats its problems; list them once, one a line.
        click.echo(_("error: %(status)s %(title)s:", status=exc.status, title=exc.title) if exc.problems
                   else _("error: %(reason)s", reason=exc), err=True)
        for problem in exc.problems:
            click.echo(f"  {_where(problem)}: {problem.get('message')}", err=True)
        if exc.is_quota:
            if exc.quota:
                click.echo(_("  quota: %(remaining)s of %(per_day)s left today; the count resets at %(resets_at)s",
                             remaining=exc.quota.get("remaining_today"), per_day=exc.quota.get("per_day"),
                             resets_at=exc.quota.get("resets_at")), err=True)
            sys.exit(EXIT_QUOTA)
        sys.exit(EXIT_USAGE if exc.is_auth else EXIT_FAILED)
    except requests.RequestException as exc:
        click.echo(_("error: could not reach the server: %(reason)s", reason=exc), err=True)
        sys.exit(EXIT_FAILED)


def _where(problem: dict) -> str:
    row, column = problem.get("row"), problem.get("column")
    if row is not None and column:
        return _("line %(row)s, column %(column)s", row=row, column=column)
    if row is not None:
        return _("line %(row)s", row=row)
    return _("column %(column)s", column=column) if column else _("file")


def _score_text(submission: dict) -> str:
    metric = submission.get("metric")
    public = submission.get("public") or {}
    value = public.get(metric) if metric in public else next(iter(public.values()), None)
    text = f"{metric} = {value}" if value is not None else _("no public score")
    if submission.get("ci_low") is not None and submission.get("ci_high") is not None:
        text = _("%(score)s (%(interval)s %(low)s to %(high)s)", score=text, interval=_ci_label(submission),
                 low=submission["ci_low"], high=submission["ci_high"])
    return text


def _ci_label(document: dict) -> str:
    """Return the label of a document's intervals, e.g. "95% CI" (just "CI" from a server that does not say)."""
    level = document.get("ci_level")
    return _("%(level)s%% CI", level=format(level * 100, "g")) if isinstance(level, (int, float)) else _("CI")


def _table(headers: list[str], rows: list[list]) -> None:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())


@command(help=N_("Upload a prediction FILE to challenge SLUG.\n\n"
                 "Exit codes: 0 accepted (with --wait: scored), 1 failed, 2 usage or auth error, 3 quota reached."))
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@option("--note", default="", help=N_("A note to remember this submission by."))
@option("--phase", default=None, help=PHASE_OPTION_HELP)
@option("--wait", is_flag=True, help=N_("Follow the submission until it is scored or failed."))
@option("--timeout", default=1800, show_default=True, type=click.IntRange(1), help=N_("Seconds --wait waits at most."))
def submit(slug: str, file: str, note: str, phase: str | None, wait: bool, timeout: int) -> None:
    """Upload a prediction FILE to challenge SLUG; exit 0 accepted, 1 failed, 2 usage or auth, 3 quota."""
    client = _api_client()
    accepted = _run_api(lambda: client.submit(slug, file, note, phase))
    quota = accepted.get("quota") or {}
    click.echo(_("submission %(id)s %(status)s; %(remaining)s of %(per_day)s left today", id=accepted["id"],
                 status=_status(accepted["status"]), remaining=quota.get("remaining_today", "?"),
                 per_day=quota.get("per_day", "?")))
    if not wait:
        return
    try:
        submission = _run_api(lambda: client.wait(
            accepted["id"], timeout=timeout, on_status=lambda s: click.echo(f"  {_status(s['status'])}…", err=True)))
    except TimeoutError as exc:
        click.echo(_("error: %(reason)s; follow it with `ultrathon submissions %(slug)s`", reason=exc, slug=slug),
                   err=True)
        sys.exit(EXIT_FAILED)
    _report_outcome(submission)


def _report_outcome(submission: dict) -> None:
    """Print a finished submission's score, or why it failed (then exit 1)."""
    if submission["status"] == "scored":
        click.echo(_("scored: %(score)s", score=_score_text(submission)))
        return
    problems = submission.get("problems") or []
    if problems:
        click.echo(ngettext("failed: %(num)s problem in the file:", "failed: %(num)s problems in the file:",
                            len(problems)))
    else:
        click.echo(_("failed: %(reason)s", reason=submission.get("error") or _("no reason given")))
    for problem in problems:
        click.echo(f"  {_where(problem)}: {problem.get('message')}")
    sys.exit(EXIT_FAILED)


@command(help=N_("List your team's submissions to challenge SLUG, newest first."))
@click.argument("slug")
@option("--phase", default=None, help=PHASE_OPTION_HELP)
@option("--json", "as_json", is_flag=True, help=JSON_OPTION_HELP)
def submissions(slug: str, phase: str | None, as_json: bool) -> None:
    """List your team's submissions to challenge SLUG, newest first."""
    import json

    client = _api_client()
    first = _run_api(lambda: client.submissions_page(slug, limit=100, phase=phase))
    items = first["items"] if not first.get("next_cursor") else _run_api(lambda: client.submissions(slug, phase))
    if as_json:
        click.echo(json.dumps({"team": first.get("team"), "quota": first.get("quota"), "items": items}, indent=2))
        return
    if first.get("team") is None:
        click.echo(_("you are in no team in %(slug)s; create or join one first", slug=slug))
        return
    _table([_("id"), _("created"), _("status"), _("public"), _("final"), _("note")], [
        [s["id"], (s.get("created_at") or "")[:16].replace("T", " "), _status(s["status"]),
         _score_text(s) if s["status"] == "scored" else (s.get("error") or ""),
         _("yes") if s.get("selected") else "", s.get("note") or ""]
        for s in items
    ])
    quota = first.get("quota") or {}
    click.echo(_("%(remaining)s of %(per_day)s submissions left today; the count resets at %(resets_at)s",
                 remaining=quota.get("remaining_today"), per_day=quota.get("per_day"), resets_at=quota.get("resets_at")))


@command(help=N_("Show the leaderboard of challenge SLUG."))
@click.argument("slug")
@option("--private", "private", is_flag=True, help=N_("The private split (organisers, or after the close)."))
@option("--phase", default=None, help=PHASE_OPTION_HELP)
@option("--json", "as_json", is_flag=True, help=JSON_OPTION_HELP)
def leaderboard(slug: str, private: bool, phase: str | None, as_json: bool) -> None:
    """Show the leaderboard of challenge SLUG."""
    import json

    client = _api_client()
    board = _run_api(lambda: client.leaderboard(slug, "private" if private else "public", phase))
    if as_json:
        click.echo(json.dumps(board, indent=2))
        return
    about = {"challenge": board["challenge"], "metric": board["metric"], "as_of": board.get("as_of"),
             "order": _("higher is better") if board.get("higher_is_better") else _("lower is better")}
    click.echo(_("%(challenge)s — private leaderboard, %(metric)s (%(order)s), as of %(as_of)s", **about)
               if board["split"] == "private"
               else _("%(challenge)s — public leaderboard, %(metric)s (%(order)s), as of %(as_of)s", **about))
    _table([_("rank"), _("team"), _("score"), _ci_label(board), _("submissions"), _("last submission")], [
        [e.get("rank") if e.get("rank") is not None else "-", e["team"], e.get("score"),
         _("%(low)s to %(high)s", low=e["ci_low"], high=e["ci_high"]) if e.get("ci_low") is not None else "",
         e.get("submissions"), (e.get("last_submission_at") or "")[:16].replace("T", " ")]
        for e in board["entries"]
    ])


@command(help=N_("Download the public files of challenge SLUG into FOLDER (default: here)."))
@click.argument("slug")
@click.argument("folder", default=".", type=click.Path(file_okay=False))
def download(slug: str, folder: str) -> None:
    """Download the public files of challenge SLUG into FOLDER (default: here)."""
    client = _api_client()
    for path in _run_api(lambda: client.download_all(slug, folder)):
        click.echo(str(path))
