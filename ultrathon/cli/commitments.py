"""The team's commitment commands: the SHA-256 of a model or code archive, before a phase opens."""

from __future__ import annotations

import sys

import click

from .team import EXIT_USAGE, _api_client, _run_api, _table


@click.command()
@click.argument("slug")
@click.argument("archive", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--sha256", "sha256", default=None, help="The archive's SHA-256, if you hashed it yourself.")
@click.option("--phase", default=None, help="The phase it is for (default: the next one to open).")
@click.option("--label", default="", help="What the archive is, e.g. 'model v3, commit abc123'.")
def commit(slug: str, archive: str | None, sha256: str | None, phase: str | None, label: str) -> None:
    """Commit the SHA-256 of a model or code ARCHIVE to challenge SLUG before a phase opens.

    The file is hashed here and never sent; give --sha256 instead of a file if you hashed it yourself.
    """
    from ultrathon.client import file_sha256

    if (archive is None) == (sha256 is None):
        click.echo("error: give either an ARCHIVE file or --sha256, not both or neither", err=True)
        sys.exit(EXIT_USAGE)
    digest = sha256 if sha256 is not None else file_sha256(archive)
    client = _api_client()
    made = _run_api(lambda: client.commit(slug, digest, phase=phase, label=label))
    click.echo(f"committed {made['sha256']} for phase {made['phase']} at {made['made_at']}"
               + (f" ({made['label']})" if made.get("label") else ""))


@click.command()
@click.argument("slug")
@click.option("--phase", default=None, help="The phase (default: the next one to open, else the current one).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")
def commitments(slug: str, phase: str | None, as_json: bool) -> None:
    """List your team's commitments to challenge SLUG for a phase, oldest first."""
    import json

    client = _api_client()
    listing = _run_api(lambda: client.commitments(slug, phase))
    if as_json:
        click.echo(json.dumps(listing, indent=2))
        return
    if listing.get("team") is None:
        click.echo(f"you are in no team in {slug}; create or join one first")
        return
    state = "takes commitments until it opens" if listing["open_for_commitments"] else "has opened"
    click.echo(f"phase {listing['phase']} (opens {listing['opens_at']}) {state}")
    _table(["made", "sha256", "in force", "label"], [
        [c["made_at"][:19].replace("T", " "), c["sha256"], "yes" if c["in_force"] else "", c["label"]]
        for c in listing["items"]
    ])
