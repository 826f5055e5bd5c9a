"""Validating a challenge folder as a whole: every check in turn, and the bundle the platform stores."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from pydantic import ConfigDict, TypeAdapter, ValidationError

from ultrathon.i18n import gettext as _, ngettext
from ultrathon.spec import TASKS, ChallengeSpec, DataSpec, FileName, LeaderboardSpec, MetricsSpec, SplitSpec, SubmissionSpec, schema_problems

from .custom_metric import _check_scorer, _dry_run_custom_metric
from .phases import check_phase_column, check_phase_rows, phase_rows, raw_phase_files, raw_phase_samples, raw_phases
from .problems import WHOLE_FILE, ChallengeInvalid, Problem, _in_order
from .public_files import _check_leaks, _check_sample
from .reading import YAML_NAME, _Checker, _read_yaml, _Table
from .sites import check_holder_ids, check_sites_cover, holder_site, read_site_ids
from .solution import _check_horizons, _check_solution

# Names as the schema reads them (a number is a name too), for checking files before the spec is whole.
_FILE_NAME = TypeAdapter(FileName, config=ConfigDict(coerce_numbers_to_str=True))


@dataclass(frozen=True)
class ValidatedChallenge:
    """A challenge that passed every check, with the bytes the platform stores."""

    spec: ChallengeSpec
    folder: Path
    readme: str
    public_files: dict[str, bytes]
    solution: bytes
    scorer_source: str | None
    scoring_hash: str
    # An agent-scored challenge (scoring.where: agent): no solution, only the ids a submission must have.
    accepted_ids: tuple[str, ...] = ()
    # Several sites: each site's ids (platform side), and the holder's own site (agent side).
    site_ids: dict[str, tuple[str, ...]] | None = None
    site: str | None = None

    @property
    def slug(self) -> str:
        """Return the challenge's slug."""
        return self.spec.slug


def scoring_hash(spec: ChallengeSpec, solution: bytes, scorer_source: str | None) -> str:
    """Return a digest of everything that decides a submission's stored scores."""
    decisive = {
        "task": spec.task,
        "id_column": spec.data.id_column,
        "target": spec.data.model_dump(mode="json")["target"],
        "classes": spec.data.classes,
        "columns": spec.submission.columns,
        "metrics": spec.metrics.model_dump(mode="json"),
        "split": spec.split.model_dump(mode="json"),
        "subgroups": spec.subgroups,
        "bootstrap": spec.leaderboard.bootstrap,
    }
    if spec.submission.missing != "refuse":  # only when set: the digests stored before the key stay valid
        decisive["missing"] = spec.submission.missing
    interval = spec.leaderboard.model_dump(include={"ci_level", "ci_method"})
    if interval != LeaderboardSpec().model_dump(include={"ci_level", "ci_method"}):
        # Only when set: challenges that keep the default interval keep the hash they had.
        decisive["interval"] = interval
    if spec.replicated_metrics:
        # Only under a multi-metric scheme, whose metrics' replicates are stored (Score.metric_replicates).
        decisive["ranking_replicates"] = spec.replicated_metrics
    digest = hashlib.sha256(json.dumps(decisive, sort_keys=True).encode())
    pinned = spec.scoring.solution_sha256 if spec.scoring.by_agent else None
    if spec.sites:  # every site's pin decides the scores; listed in the sites' order
        decisive_pins = [bytes.fromhex(spec.scoring.pinned(site)) for site in spec.sites]
        digest.update(b"".join(decisive_pins))
    # An agent's solution is known by its pinned digest: the same hash as if the platform held it.
    elif pinned:
        digest.update(bytes.fromhex(pinned))
    else:
        digest.update(hashlib.sha256(solution).digest())
    digest.update(hashlib.sha256((scorer_source or "").encode()).digest())
    return digest.hexdigest()


def validate_folder(folder: str | Path, *, holder: bool = False) -> ValidatedChallenge:
    """Check a challenge folder; return it ready to store, or raise ChallengeInvalid with every problem.

    holder: the folder is the data holder's, for its agent: an agent challenge's solution is read
    and checked like any other, and against the pinned fingerprint.
    """
    folder = Path(folder)
    check = _Checker(folder)
    check.holder = holder
    if not folder.is_dir():
        raise ChallengeInvalid([Problem(str(folder), 1, WHOLE_FILE, _("no such challenge folder"))])
    yaml_path = folder / YAML_NAME
    if not yaml_path.is_file():
        raise ChallengeInvalid([Problem(check.doc.display, 1, WHOLE_FILE,
                                        _("not found; a challenge folder holds %(yaml)s and its files", yaml=YAML_NAME))])
    syntax = _read_yaml(yaml_path, check.doc)
    if syntax:
        raise ChallengeInvalid(syntax)
    raw = check.doc.raw
    schema = schema_problems(raw)
    for problem in schema:
        check.at_yaml(problem.path, problem.message)
    if not isinstance(raw, dict):
        raise ChallengeInvalid(check.problems)
    # A section the schema already faults is not used to judge the files: its problems would echo.
    flagged = {p.path[:1] for p in schema}
    readme = _check_files(check, raw)
    _check_tables(check, raw, flagged)
    scorer = _check_scorer(check, raw, flagged)
    if check.problems:
        raise ChallengeInvalid(_in_order(check.problems, check.doc.display))

    spec = ChallengeSpec.model_validate(raw, context={"cross_checks": False})
    if spec.scoring.by_agent and not holder:
        return _agent_challenge(check, spec, folder, readme, scorer)
    solution = check.files[spec.data.solution]
    site = holder_site(check, spec, hashlib.sha256(solution).hexdigest()) if spec.sites else None
    if spec.scoring.by_agent and not spec.sites and hashlib.sha256(solution).hexdigest() != spec.scoring.solution_sha256:
        check.at_yaml(("scoring", "solution_sha256"), _(
            "%(file)s here has SHA-256 %(digest)s, not the pinned one: this is another solution",
            file=spec.data.solution, digest=hashlib.sha256(solution).hexdigest()))
        raise ChallengeInvalid(check.problems)
    _check_with_scorer(check, spec, site)
    if not check.problems and scorer is not None:
        _dry_run_custom_metric(check, spec, scorer)
    if check.problems:
        raise ChallengeInvalid(check.problems)
    return ValidatedChallenge(
        spec=spec,
        folder=folder,
        readme=readme or "",
        public_files={name: check.files[name] for name in spec.public_files},
        solution=solution,
        scorer_source=scorer,
        scoring_hash=scoring_hash(spec, solution, scorer),
        site=site,
    )


def _agent_challenge(check: _Checker, spec: ChallengeSpec, folder: Path, readme: str | None,
                     scorer: str | None) -> ValidatedChallenge:
    """Bundle a challenge its data holder's agent scores: the sample's ids stand in for the solution."""
    from ultrathon.scorers import read_submission
    from ultrathon.scorers.errors import FileProblems

    sample = spec.data.sample_submission
    try:
        frame = read_submission(check.files[sample], spec)
    except FileProblems as error:
        for problem in error.problems:
            check.problems.append(Problem(check.display(sample), problem.row or 1, problem.column or WHOLE_FILE, problem.message))
        raise ChallengeInvalid(check.problems) from None
    accepted = tuple(str(v) for v in frame[spec.data.id_column])
    site_ids = None
    if spec.sites:
        site_ids = read_site_ids(check, spec)
        check_sites_cover(check, spec, site_ids, accepted)
    return ValidatedChallenge(
        spec=spec, folder=folder, readme=readme or "",
        public_files={name: check.files[name] for name in spec.public_files},
        solution=b"", scorer_source=scorer, scoring_hash=scoring_hash(spec, b"", scorer),
        accepted_ids=accepted, site_ids=site_ids,
    )


def _check_with_scorer(check: _Checker, spec: ChallengeSpec, site: str | None = None) -> None:
    """Read the solution and sample submission as the workers will, so they cannot disagree."""
    from ultrathon.scorers import read_solution, read_submission
    from ultrathon.scorers.errors import FileProblems

    def report(name: str, error: Exception, framed: Callable[[str], str] = str) -> None:
        # framed: the message as one phase's (e.g. "phase 'final': ..."), in a sentence of its own language.
        if isinstance(error, FileProblems):
            for problem in error.problems:
                check.problems.append(Problem(check.display(name), problem.row or 1, problem.column or WHOLE_FILE,
                                              framed(problem.message)))
            if error.omitted:
                check.problems.append(Problem(check.display(name), 1, WHOLE_FILE, framed(ngettext(
                    "and %(num)s more problem", "and %(num)s more problems", error.omitted))))
        else:  # a reader's own failure: still a message, never a traceback
            check.problems.append(Problem(check.display(name), 1, WHOLE_FILE, framed(_(
                "the scorer cannot read it (%(error)s: %(reason)s)", error=type(error).__name__, reason=error))))

    try:
        solution = read_solution(check.files[spec.data.solution], spec)
    except Exception as error:  # noqa: BLE001 - reported as a problem of the file
        report(spec.data.solution, error)
        return
    if site is not None:
        # A site's solution holds its own rows; the whole sample was checked when the platform loaded it.
        check_holder_ids(check, spec, site, [str(v) for v in solution[spec.data.id_column]])
        return
    if spec.data.phase_column:  # each phase is scored on its own rows, against its own sample
        check_phase_rows(check, spec, report)
        return
    sample = spec.data.sample_submission
    if sample:
        try:
            read_submission(check.files[sample], spec, solution_ids=solution[spec.data.id_column])
        except Exception as error:  # noqa: BLE001 - reported as a problem of the file
            report(sample, error)


def _plain_names(raw: dict) -> tuple[str, list[tuple[tuple, str]], str]:
    """Return the description, public and solution file names that passed the schema."""
    def plain(value: Any) -> str | None:
        try:
            return _FILE_NAME.validate_python(value)
        except ValidationError:
            return None

    data = raw.get("data") if isinstance(raw.get("data"), dict) else {}
    public = data.get("public") if isinstance(data.get("public"), list) else []
    listed = [(("data", "public", i), n) for i, n in enumerate(public)] + raw_phase_files(raw)
    named, seen = [], set()
    for path, name in listed:  # a file several phases list is read once, at its first mention
        if plain(name) and plain(name) not in seen:
            named.append((path, plain(name)))
            seen.add(plain(name))
    return plain(raw.get("description", "README.md")), named, plain(data.get("solution", "solution.csv"))


def _by_agent(raw: dict, check: _Checker) -> bool:
    """Return whether the folder is the platform's copy of an agent challenge (it has no solution to read)."""
    return isinstance(raw.get("scoring"), dict) and raw["scoring"].get("where") == "agent" and not check.holder


def _check_files(check: _Checker, raw: dict) -> str | None:
    """Read the README, the solution and the public files that are not CSV; return the README."""
    description, public, solution = _plain_names(raw)
    solution = None if _by_agent(raw, check) else solution
    readme = check.text(description, ("description",)) if description else None
    for path, name in public:
        if not name.lower().endswith(".csv"):
            check.read(name, path)
    if solution:
        check.read(solution, ("data", "solution"))
    return readme


def _section(raw: dict, key: str, model: type, flagged: set) -> Any:
    """Return one section of the YAML as its model, if the schema found nothing wrong in it."""
    if (key,) in flagged:
        return None
    try:
        return model.model_validate(raw.get(key, {}))
    except ValidationError:
        return None


def _check_tables(check: _Checker, raw: dict, flagged: set) -> None:
    """Check the solution, the public CSV files and the sample submission against each other."""
    description, public, solution_name = _plain_names(raw)
    task = raw.get("task") if raw.get("task") in TASKS and ("task",) not in flagged else None
    data: DataSpec | None = _section(raw, "data", DataSpec, flagged)
    split: SplitSpec | None = _section(raw, "split", SplitSpec, flagged)
    submission: SubmissionSpec | None = _section(raw, "submission", SubmissionSpec, flagged)
    subgroups = raw.get("subgroups") if isinstance(raw.get("subgroups"), list) and ("subgroups",) not in flagged else []

    tables: dict[str, _Table] = {}
    solution = check.table(solution_name, ("data", "solution")) if solution_name and not _by_agent(raw, check) else None
    for path, name in public:
        if name.lower().endswith(".csv"):
            table = check.table(name, path)
            if table is not None:
                tables[name] = table
    if solution is None or data is None or task is None:
        return
    scored = _check_solution(check, solution, data, task, split, subgroups, raw.get("split"))
    if scored is None:
        return
    if task == "survival":
        _check_horizons(check, _section(raw, "metrics", MetricsSpec, flagged), solution, data, split, scored, submission)
    phases = raw_phases(raw, flagged) if data.phase_column else []
    if phases:
        check_phase_column(check, solution, data.phase_column, phases)
    samples = raw_phase_samples(raw, phases) if phases else [(None, data.sample_submission)]
    for name, table in tables.items():
        allowed = set(submission.columns) if submission and name in {s for _slug, s in samples} else set()
        _check_leaks(check, table, solution, data, scored, allowed)
    if submission is None or (check.holder and raw.get("sites")):
        return
    for slug, sample_name in samples:
        if sample_name not in tables:
            continue
        if slug is None:
            _check_sample(check, tables[sample_name], solution, data, submission)
        elif data.phase_column in solution.header:  # a phase's sample holds that phase's ids alone
            _check_sample(check, tables[sample_name], phase_rows(solution, data.phase_column, slug), data,
                          submission, phase=slug)
