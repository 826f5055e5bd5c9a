"""The `scoring` keys: the sealed process's limits, and where scoring happens (the platform, or agents)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from ultrathon.i18n import gettext as _

from .strict import StrictModel
from .vocabulary import SLUG_RULE

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _sha256(value: str) -> str:
    if not _SHA256.match(value.lower()):
        raise ValueError(_("should be the solution's SHA-256: 64 hexadecimal characters (sha256sum solution.csv), "
                           "got %(count)s characters", count=len(value)))
    return value.lower()


class AgentSplitSizes(StrictModel):
    """How many hidden rows each leaderboard has, told by an organiser whose solution stays away."""

    public: int = Field(ge=1)
    private: int = Field(ge=1)


class SitePin(StrictModel):
    """One site's own solution, as its organiser pins it (several sites: scoring.sites)."""

    solution_sha256: Annotated[str, AfterValidator(_sha256)]
    split_sizes: AgentSplitSizes | None = None


class ScoringSpec(StrictModel):
    """The limits of the sealed process that scores each submission."""

    timeout_s: int = Field(default=600, ge=5, le=86400)  # CPU and wall-clock seconds
    memory_mb: int = Field(default=2048, ge=256, le=65536)  # address space
    max_processes: int = Field(default=0, ge=0, le=64)  # processes or threads it may start
    max_output_mb: int = Field(default=16, ge=1, le=1024)  # its report, and files it writes
    # "agent": the data holder's scoring agent holds the solution; the platform never sees a label.
    where: Literal["platform", "agent"] = "platform"
    solution_sha256: Annotated[str, AfterValidator(_sha256)] | None = None  # pinned by the organiser (agent only)
    split_sizes: AgentSplitSizes | None = None  # the agent's public and private row counts, if told
    sites: dict[Annotated[str, Field(pattern=f"^{SLUG_RULE}$")], SitePin] | None = None  # per site, with `sites`

    @property
    def by_agent(self) -> bool:
        """Return whether a scoring agent at the data holder scores this challenge."""
        return self.where == "agent"

    def pinned(self, site: str | None = None) -> str | None:
        """Return the solution fingerprint pinned for a site (or for the one agent without sites)."""
        return self.solution_sha256 if site is None else self.sites[site].solution_sha256
