"""What the leaderboard needs of a challenge, small enough to keep in memory between requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ultrathon.i18n import N_

from ..models import Challenge, Phase, utcnow
from ..phases.models import phase_named

# leaderboard.combine, as the pages name it (marked here, translated where shown).
COMBINE_LABELS = {"mean": N_("mean of sites"), "worst": N_("worst site")}


@dataclass(frozen=True)
class Board:
    """A challenge's settings as one phase's leaderboard reads them: kept per process (cache.py)."""

    id: int  # the challenge's
    slug: str
    title: str
    opens_at: datetime  # the phase's window
    closes_at: datetime
    organisers: tuple[str, ...]
    metric: str
    metric_label: str
    higher_is_better: bool
    decimals: int
    ci_level: float  # of every interval the leaderboard shows (leaderboard.ci_level)
    ci_method: str
    top_k: int
    final_selections: int
    subgroups: tuple[str, ...]
    ranking_scheme: str = "primary"  # ranking.scheme
    ranking_metrics: tuple[str, ...] = ()  # ranking.metrics, as chosen (empty under primary)
    ranking_directions: tuple[bool, ...] = ()  # higher is better, per ranking metric
    sites: tuple[str, ...] = ()  # several sites: a column each (leaderboard/sites.py)
    combine: str = "mean"  # leaderboard.combine: how the sites' scores make the ranked one
    ranking_labels: tuple[str, ...] = ()  # MetricFacts.label, per ranking metric
    feedback: str = "live"  # feedback.mode: what the public board shows (challenges/feedback.py)
    publish: str = "manual"  # results.publish: manual or at_close
    # The publication in force, if any (publish.py clears every copy of the board when it changes).
    published_at: datetime | None = None
    published_by: str | None = None  # the organiser's display name
    publication_note: str = ""
    phase_id: int = 0
    phase: str = "main"  # the phase's slug
    phase_title: str = ""
    phases: tuple[tuple[str, str], ...] = ()  # every phase of the challenge, (slug, title), in order
    combine_phases: str = "final_phase_only"

    @property
    def phased(self) -> bool:
        """Return whether the challenge has several phases (the pages then name the phase)."""
        return len(self.phases) > 1

    @property
    def ci_label(self) -> str:
        """Return the interval's level as the pages say it, e.g. "95%" or "97.5%"."""
        return f"{self.ci_level * 100:g}%"

    @property
    def combine_label(self) -> str | None:
        """Return how the sites' scores make the ranked one, as the page says it ("mean of sites")."""
        return COMBINE_LABELS[self.combine] if self.sites else None

    @property
    def alpha(self) -> float:
        """Return the significance level of the one-sided and pairwise tests: 1 - ci_level."""
        return round(1 - self.ci_level, 10)

    @property
    def other_ranking_metrics(self) -> list[tuple[str, str, bool]]:
        """Return the ranking metrics other than the primary as (name, label, higher is better)."""
        return [(m, label, higher) for m, label, higher in zip(self.ranking_metrics, self.ranking_labels,
                                                               self.ranking_directions) if m != self.metric]

    def is_closed(self, now: datetime | None = None) -> bool:
        """Return whether the phase has ended."""
        return (now or utcnow()) >= self.closes_at

    def results_published(self) -> bool:
        """Return whether the private standings go to everyone once closed (results.publish, or Publish pressed)."""
        return self.publish == "at_close" or self.published_at is not None


def board_of(challenge: Challenge, phase: Phase | str | None = None) -> Board:
    """Return the leaderboard's view of one phase of a loaded challenge (by default its current phase)."""
    phase = phase if isinstance(phase, Phase) else phase_named(challenge, phase)
    spec = challenge.settings
    settings = phase.settings
    primary = spec.metrics.facts()
    multi = spec.ranking.scheme != "primary"
    ranking = tuple(spec.ranking.chosen(spec.metrics)) if multi else ()
    publication = phase.publication
    return Board(
        id=challenge.id,
        slug=challenge.slug,
        title=challenge.title,
        opens_at=phase.opens_at,
        closes_at=phase.closes_at,
        organisers=tuple(challenge.organisers),
        metric=spec.metrics.primary,
        metric_label=primary.label,
        higher_is_better=primary.higher_is_better,
        decimals=spec.leaderboard.decimals,
        ci_level=spec.leaderboard.ci_level,
        ci_method=spec.leaderboard.ci_method,
        top_k=spec.leaderboard.top_k,
        final_selections=settings.limits.final_selections,
        subgroups=tuple(spec.subgroups),
        ranking_scheme=spec.ranking.scheme,
        ranking_metrics=ranking,
        ranking_directions=tuple(spec.metrics.facts(m).higher_is_better for m in ranking),
        sites=tuple(spec.sites),
        combine=spec.leaderboard.combine,
        ranking_labels=tuple(spec.metrics.facts(m).label for m in ranking),
        feedback=settings.feedback.mode,
        publish=spec.results.publish,
        published_at=publication.published_at if publication is not None else None,
        published_by=publication.by_name if publication is not None else None,
        publication_note=publication.note if publication is not None else "",
        phase_id=phase.id,
        phase=phase.slug,
        phase_title=phase.title,
        phases=tuple((p.slug, p.title) for p in challenge.phases),
        combine_phases=spec.combine_phases,
    )


def as_board(challenge: Challenge | Board) -> Board:
    """Return a board for a challenge row or a board."""
    return challenge if isinstance(challenge, Board) else board_of(challenge)
