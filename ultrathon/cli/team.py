"""The team's commands: they talk to a server over its API and never touch the database."""

from __future__ import annotations

import sys

import click


EXIT_FAILED, EXIT_USAGE, EXIT_QUOTA = 1, 2, 3


def _api_client():
    """Return an API client from ULTRATHON_URL / ULTRATHON_TOKEN or the config file (exit 2 if unset)."""
    from ultrathon.client import Client, ClientConfigError

    try:
        return Client.from_environment()
    except ClientConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)


def _run_api(call):
    """Run a client call; turn its errors into a message and the documented exit code."""
    import requests

    from ultrathon.client import ApiError

    try:
        return call()
    except ApiError as exc:
        # The detail of an invalid file repeats its problems; list them once, one a line.
        click.echo(f"error: {exc.status} {exc.title}:" if exc.problems else f"error: {exc}", err=True)
        for problem in exc.problems:
            click.echo(f"  {_where(problem)}: {problem.get('message')}", err=True)
        if exc.is_quota:
            if exc.quota:
                click.echo(f"  quota: {exc.quota.get('remaining_today')} of {exc.quota.get('per_day')} left today; "
                           f"the count resets at {exc.quota.get('resets_at')}", err=True)
            sys.exit(EXIT_QUOTA)
        sys.exit(EXIT_USAGE if exc.is_auth else EXIT_FAILED)
    except requests.RequestException as exc:
        click.echo(f"error: could not reach the server: {exc}", err=True)
        sys.exit(EXIT_FAILED)


def _where(problem: dict) -> str:
    row, column = problem.get("row"), problem.get("column")
    parts = ([f"line {row}"] if row is not None else []) + ([f"column {column}"] if column else [])
    return ", ".join(parts) or "file"


def _score_text(submission: dict) -> str:
    metric = submission.get("metric")
    public = submission.get("public") or {}
    value = public.get(metric) if metric in public else next(iter(public.values()), None)
    text = f"{metric} = {value}" if value is not None else "no public score"
    if submission.get("ci_low") is not None and submission.get("ci_high") is not None:
        text += f" ({_ci_label(submission)} {submission['ci_low']} to {submission['ci_high']})"
    return text


def _ci_label(document: dict) -> str:
    """Return the label of a document's intervals, e.g. "95% CI" (just "CI" from a server that does not say)."""
    level = document.get("ci_level")
    return f"{level * 100:g}% CI" if isinstance(level, (int, float)) else "CI"


def _table(headers: list[str], rows: list[list]) -> None:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())


@click.command()
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--note", default="", help="A note to remember this submission by.")
@click.option("--phase", default=None, help="The phase's slug (the challenge's current phase by default).")
@click.option("--wait", is_flag=True, help="Follow the submission until it is scored or failed.")
@click.option("--timeout", default=1800, show_default=True, type=click.IntRange(1), help="Seconds --wait waits at most.")
def submit(slug: str, file: str, note: str, phase: str | None, wait: bool, timeout: int) -> None:
    """Upload a prediction FILE to challenge SLUG.

    Exit codes: 0 accepted (with --wait: scored), 1 failed, 2 usage or auth error, 3 quota reached.
    """
    client = _api_client()
    accepted = _run_api(lambda: client.submit(slug, file, note, phase))
    quota = accepted.get("quota") or {}
    click.echo(f"submission {accepted['id']} {accepted['status']}; "
               f"{quota.get('remaining_today', '?')} of {quota.get('per_day', '?')} left today")
    if not wait:
        return
    try:
        submission = _run_api(lambda: client.wait(
            accepted["id"], timeout=timeout, on_status=lambda s: click.echo(f"  {s['status']}…", err=True)))
    except TimeoutError as exc:
        click.echo(f"error: {exc}; follow it with `ultrathon submissions {slug}`", err=True)
        sys.exit(EXIT_FAILED)
    if submission["status"] == "scored":
        click.echo(f"scored: {_score_text(submission)}")
        return
    problems = submission.get("problems") or []
    if problems:
        click.echo(f"failed: {len(problems)} problem{'s' if len(problems) > 1 else ''} in the file:")
    else:
        click.echo(f"failed: {submission.get('error') or 'no reason given'}")
    for problem in problems:
        click.echo(f"  {_where(problem)}: {problem.get('message')}")
    sys.exit(EXIT_FAILED)


@click.command()
@click.argument("slug")
@click.option("--phase", default=None, help="The phase's slug (the challenge's current phase by default).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")
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
        click.echo(f"you are in no team in {slug}; create or join one first")
        return
    _table(["id", "created", "status", "public", "final", "note"], [
        [s["id"], (s.get("created_at") or "")[:16].replace("T", " "), s["status"],
         _score_text(s) if s["status"] == "scored" else (s.get("error") or ""),
         "yes" if s.get("selected") else "", s.get("note") or ""]
        for s in items
    ])
    quota = first.get("quota") or {}
    click.echo(f"{quota.get('remaining_today')} of {quota.get('per_day')} submissions left today; "
               f"the count resets at {quota.get('resets_at')}")


@click.command()
@click.argument("slug")
@click.option("--private", "private", is_flag=True, help="The private split (organisers, or after the close).")
@click.option("--phase", default=None, help="The phase's slug (the challenge's current phase by default).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")
def leaderboard(slug: str, private: bool, phase: str | None, as_json: bool) -> None:
    """Show the leaderboard of challenge SLUG."""
    import json

    client = _api_client()
    board = _run_api(lambda: client.leaderboard(slug, "private" if private else "public", phase))
    if as_json:
        click.echo(json.dumps(board, indent=2))
        return
    order = "higher is better" if board.get("higher_is_better") else "lower is better"
    click.echo(f"{board['challenge']} — {board['split']} leaderboard, {board['metric']} ({order}), as of {board.get('as_of')}")
    _table(["rank", "team", "score", _ci_label(board), "submissions", "last submission"], [
        [e.get("rank") if e.get("rank") is not None else "-", e["team"], e.get("score"),
         f"{e['ci_low']} to {e['ci_high']}" if e.get("ci_low") is not None else "",
         e.get("submissions"), (e.get("last_submission_at") or "")[:16].replace("T", " ")]
        for e in board["entries"]
    ])


@click.command()
@click.argument("slug")
@click.argument("folder", default=".", type=click.Path(file_okay=False))
def download(slug: str, folder: str) -> None:
    """Download the public files of challenge SLUG into FOLDER (default: here)."""
    client = _api_client()
    for path in _run_api(lambda: client.download_all(slug, folder)):
        click.echo(str(path))
