"""Several sites: each site's id list (`sites/<site>.ids`), read and checked against the sample."""

from __future__ import annotations

from ultrathon.i18n import gettext as _
from ultrathon.spec import ChallengeSpec

from .problems import WHOLE_FILE, ChallengeInvalid, Problem
from .reading import _Checker

SHOWN = 5  # problems per kind: enough to fix the pattern


def ids_file(site: str) -> str:
    """Return where a site's id list lives in the challenge folder."""
    return f"sites/{site}.ids"


def read_site_ids(check: _Checker, spec: ChallengeSpec) -> dict[str, tuple[str, ...]]:
    """Return each site's ids (one per line, no header); report unreadable, empty or repeated lists."""
    out: dict[str, tuple[str, ...]] = {}
    first: dict[str, tuple[str, int]] = {}  # id -> (site, line), across every site
    for i, site in enumerate(spec.sites):
        name = ids_file(site)
        data = check.read(name, ("sites", i))
        if data is None:
            continue
        try:
            lines = data.decode("utf-8-sig").splitlines()
        except UnicodeDecodeError as error:
            check.problems.append(Problem(check.display(name), 1, WHOLE_FILE, _("is not UTF-8 text (%(reason)s)",
                                                                              reason=error.reason)))
            continue
        ids = []
        for line_no, line in enumerate(lines, start=1):
            value = line.strip()
            if not value:
                continue
            if value in first:
                other, at = first[value]
                facts = {"id": repr(value), "file": ids_file(other), "line": at}
                check.problems.append(Problem(check.display(name), line_no, spec.data.id_column, _(
                    "id %(id)s is listed already (this file, line %(line)s); an id belongs to one site", **facts)
                    if other == site else _("id %(id)s is listed already (%(file)s, line %(line)s); an id belongs to one site",
                                            **facts)))
                continue
            first[value] = (site, line_no)
            ids.append(value)
        if not ids:
            check.problems.append(Problem(check.display(name), 1, WHOLE_FILE,
                                          _("lists no id; one id of the site's rows per line")))
        out[site] = tuple(ids)
    return out


def check_sites_cover(check: _Checker, spec: ChallengeSpec, site_ids: dict[str, tuple[str, ...]],
                      accepted: tuple[str, ...]) -> None:
    """Report site ids the sample does not hold, and sample ids no site holds: each id has one site."""
    sample = spec.data.sample_submission
    known = set(accepted)
    for site, ids in site_ids.items():
        foreign = [(n, v) for n, v in enumerate(ids, start=1) if v not in known]
        for _number, value in foreign[:SHOWN]:
            check.problems.append(Problem(check.display(ids_file(site)), _line_of(check, site, value), spec.data.id_column,
                                          _("id %(id)s is not in %(file)s; a site lists ids a submission holds",
                                            id=repr(value), file=sample)))
    held = {v for ids in site_ids.values() for v in ids}
    orphans = [v for v in accepted if v not in held]
    if orphans:
        check.problems.append(Problem(check.display(sample), 1, spec.data.id_column, _(
            "%(count)s id(s) belong to no site, e.g. %(example)s; list each in one of %(files)s", count=len(orphans),
            example=repr(orphans[0]), files=", ".join(ids_file(s) for s in spec.sites))))
    if check.problems:
        raise ChallengeInvalid(check.problems)


def _line_of(check: _Checker, site: str, value: str) -> int:
    lines = check.files[ids_file(site)].decode("utf-8-sig").splitlines()
    return next((n for n, line in enumerate(lines, start=1) if line.strip() == value), 1)


def holder_site(check: _Checker, spec: ChallengeSpec, digest: str) -> str:
    """Return the site whose pinned fingerprint the holder's solution has; report it otherwise."""
    for site in spec.sites:
        if spec.scoring.pinned(site) == digest:
            return site
    check.at_yaml(("scoring", "sites"), _(
        "%(file)s here has SHA-256 %(digest)s, which no site pins (%(sites)s): this is another solution",
        file=spec.data.solution, digest=digest, sites=", ".join(spec.sites)))
    raise ChallengeInvalid(check.problems)


def check_holder_ids(check: _Checker, spec: ChallengeSpec, site: str, solution_ids: list[str]) -> None:
    """Report a holder's solution whose ids are not exactly its site's id list."""
    name = ids_file(site)
    listed = set(read_site_ids(check, spec).get(site, ()))
    if check.problems:
        raise ChallengeInvalid(check.problems)
    extra = [v for v in solution_ids if v not in listed]
    absent = listed - set(solution_ids)
    if extra:
        check.problems.append(Problem(check.display(spec.data.solution), 1, spec.data.id_column, _(
            "%(count)s id(s) are not %(site)s's (in %(file)s), e.g. %(example)s; a site's solution holds only its own rows",
            count=len(extra), site=site, file=name, example=repr(extra[0]))))
    if absent:
        check.problems.append(Problem(check.display(spec.data.solution), 1, spec.data.id_column, _(
            "%(count)s id(s) of %(file)s are missing, e.g. %(example)s", count=len(absent), file=name,
            example=repr(sorted(absent)[0]))))
    if check.problems:
        raise ChallengeInvalid(check.problems)
