"""The team's commitment commands: the SHA-256 of a model or code archive, before a phase opens."""

from __future__ import annotations

import sys

import click

from ultrathon.i18n import N_, gettext as _

from .team import EXIT_USAGE, JSON_OPTION_HELP, _api_client, _run_api, _table
from .translated import command, option


@command(help=N_("Commit the SHA-256 of a model or code ARCHIVE to challenge SLUG before a phase opens.\n\n"
                 "The file is hashed here and never sent; give --sha256 instead of a file if you hashed it yourself."))
@click.argument("slug")
@click.argument("archive", required=False, type=click.Path(exists=True, dir_okay=False))
@option("--sha256", "sha256", default=None, help=N_("The archive's SHA-256, if you hashed it yourself."))
@option("--phase", default=None, help=N_("The phase it is for (default: the next one to open)."))
@option("--label", default="", help=N_("What the archive is, e.g. 'model v3, commit abc123'."))
def commit(slug: str, archive: str | None, sha256: str | None, phase: str | None, label: str) -> None:
    """Commit the SHA-256 of a model or code ARCHIVE (hashed here, never sent) to challenge SLUG."""
    from ultrathon.client import file_sha256

    if (archive is None) == (sha256 is None):
        click.echo(_("error: give either an ARCHIVE file or --sha256, not both or neither"), err=True)
        sys.exit(EXIT_USAGE)
    digest = sha256 if sha256 is not None else file_sha256(archive)
    client = _api_client()
    made = _run_api(lambda: client.commit(slug, digest, phase=phase, label=label))
    facts = {"sha256": made["sha256"], "phase": made["phase"], "made_at": made["made_at"], "label": made.get("label")}
    click.echo(_("committed %(sha256)s for phase %(phase)s at %(made_at)s (%(label)s)", **facts) if facts["label"]
               else _("committed %(sha256)s for phase %(phase)s at %(made_at)s", **facts))


@command(help=N_("List your team's commitments to challenge SLUG for a phase, oldest first."))
@click.argument("slug")
@option("--phase", default=None, help=N_("The phase (default: the next one to open, else the current one)."))
@option("--json", "as_json", is_flag=True, help=JSON_OPTION_HELP)
def commitments(slug: str, phase: str | None, as_json: bool) -> None:
    """List your team's commitments to challenge SLUG for a phase, oldest first."""
    import json

    client = _api_client()
    listing = _run_api(lambda: client.commitments(slug, phase))
    if as_json:
        click.echo(json.dumps(listing, indent=2))
        return
    if listing.get("team") is None:
        click.echo(_("you are in no team in %(slug)s; create or join one first", slug=slug))
        return
    phase_facts = {"phase": listing["phase"], "opens": listing["opens_at"]}
    click.echo(_("phase %(phase)s (opens %(opens)s) takes commitments until it opens", **phase_facts)
               if listing["open_for_commitments"] else _("phase %(phase)s (opens %(opens)s) has opened", **phase_facts))
    _table([_("made"), "sha256", _("in force"), _("label")], [
        [c["made_at"][:19].replace("T", " "), c["sha256"], _("yes") if c["in_force"] else "", c["label"]]
        for c in listing["items"]
    ])
