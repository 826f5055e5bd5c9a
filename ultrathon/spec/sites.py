"""Cross-checks of several sites: `sites`, `scoring.sites` and `leaderboard.combine` agree."""

from __future__ import annotations

from typing import Any

from ultrathon.i18n import gettext as _

from .vocabulary import Path

_MISSING = object()


def _at(raw: Any, *path: str) -> Any:
    """Return the value at a key path of the raw YAML, or _MISSING (the cross checks share both)."""
    node = raw
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def site_names(raw: dict) -> list[str]:
    """Return the site names the YAML lists (strings only; the schema faults the rest)."""
    sites = raw.get("sites")
    return [s for s in sites if isinstance(s, str)] if isinstance(sites, list) else []


def site_problems(raw: dict) -> list[tuple[Path, str]]:
    """Return what is wrong between `sites`, scoring.where, scoring.sites and leaderboard.combine."""
    sites = site_names(raw)
    pins = _at(raw, "scoring", "sites")
    pins = pins if isinstance(pins, dict) else None
    out: list[tuple[Path, str]] = []
    if not sites:
        if pins is not None:
            out.append((("scoring", "sites"), _("applies only when the challenge names its sites: sites: [odense, copenhagen]")))
        # "mean", the default, is harmless without sites; and a validated spec, checked again
        # from its own dump (ChallengeSpec._consistent), always holds it.
        if _at(raw, "leaderboard", "combine") not in (_MISSING, None, "mean"):
            out.append((("leaderboard", "combine"), _("applies only when the challenge names several sites (sites: [...])")))
        return out
    if _at(raw, "scoring", "where") != "agent":
        return [(("sites",), _("applies only with scoring.where: agent; each site's scoring agent holds its own rows"))]
    for i, site in enumerate(sites):
        if site in sites[:i]:
            out.append((("sites", i), _("site %(site)s is listed twice", site=repr(site))))
    for key in ("solution_sha256", "split_sizes"):
        if _at(raw, "scoring", key) not in (_MISSING, None):
            out.append((("scoring", key), _("with sites, each site pins its own under scoring.sites.SITE, "
                                            "e.g. scoring: {sites: {odense: {solution_sha256: ...}}}")))
    if pins is None:
        out.append((("scoring",), _("with sites, scoring.sites pins each site's solution: "
                                    "sites: {SITE: {solution_sha256: ..., split_sizes: {public: N, private: N}}}")))
        return out
    missing = [s for s in dict.fromkeys(sites) if s not in pins]
    if missing:
        out.append((("scoring", "sites"), _("no pin for site %(sites)s; every site in sites needs its solution_sha256",
                                            sites=", ".join(missing))))
    for name in pins:
        if name not in sites:
            out.append((("scoring", "sites", name), _("%(name)s is not one of the sites (%(sites)s)", name=repr(name),
                                                      sites=", ".join(sites))))
    return out
