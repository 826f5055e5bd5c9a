"""The leaderboard's part of the OpenAPI document: its entries, ranking, tie rule, pairwise map and sites."""

from __future__ import annotations

from typing import Any

from .schema_parts import NEXT_CURSOR, NULLABLE_INT, NULLABLE_NUMBER, NULLABLE_TIME, nullable, obj, ref

SITE_COLUMNS = {"type": "object", "additionalProperties": ref("SiteFigures"),
                "description": "Several sites only: each site's figures, in the document's `sites` order, or "
                               "\"pending\" for a site that has not reported."}

LEADERBOARD_SCHEMAS: dict[str, Any] = {
    "SiteFigures": {"oneOf": [
        obj(["score", "ci_low", "ci_high", "n_rows"], score=NULLABLE_NUMBER, ci_low=NULLABLE_NUMBER,
            ci_high=NULLABLE_NUMBER, n_rows={**NULLABLE_INT, "description": "The site's rows in this split."}),
        {"type": "string", "enum": ["pending"], "description": "The site has not reported this submission yet."},
    ]},
    "PendingEntry": obj(
        ["team", "team_id", "submission_id", "rank", "sites"],
        team={"type": "string"}, team_id={"type": "integer"}, submission_id={"type": "integer"},
        rank={"type": "null", "description": "Never ranked on a partial combination of sites."},
        sites=SITE_COLUMNS,
    ),
    "LeaderboardEntry": obj(
        ["rank", "team", "score", "ci_low", "ci_high", "submissions", "last_submission_at"],
        rank={**NULLABLE_INT, "description": "null for an unranked entry (an organisers' baseline)."},
        team={"type": "string", "description": "The team's name."},
        score=NULLABLE_NUMBER,
        ci_low=NULLABLE_NUMBER,
        ci_high=NULLABLE_NUMBER,
        submissions={"type": "integer"},
        last_submission_at=NULLABLE_TIME,
        tied_with_leader={"type": ["boolean", "null"], "description": "By the document's tie_rule; null until computed."},
        ranking_value={"type": ["number", "null"], "description": "The scheme's figure (see ranking_figure); null under "
                                                                 "the primary scheme."},
        ranking_values={"type": ["object", "null"], "additionalProperties": NULLABLE_NUMBER,
                        "description": "Each ranking metric's value, rounded as score, so ranking_value can be "
                                       "checked; null under the primary scheme."},
        sites=SITE_COLUMNS,
    ),
    "Ranking": obj(
        ["scheme", "metrics"],
        scheme={"type": "string", "enum": ["primary", "mean_rank", "rank_then_aggregate", "significance"],
                "description": "The challenge's ranking.scheme (docs/challenge-format.md, Ranking)."},
        metrics={"type": "array", "items": {"type": "string"}, "description": "The metrics that rank."},
        labels={"type": "array", "items": {"type": "string"}, "description": "Their labels, in the same order."},
    ),
    "RankingFigure": obj(
        ["name", "label", "description", "higher_is_better"],
        name={"type": "string"}, label={"type": "string"}, description={"type": "string"},
        higher_is_better={"type": "boolean"},
    ),
    "PairwiseMap": obj(
        ["metric", "level", "alpha", "adjustment", "n_resamples", "teams", "pairs"],
        metric={"type": "string"},
        level={"type": "number"},
        alpha={"type": "number", "description": "A pair differs significantly when its adjusted p-value is below alpha."},
        adjustment={"type": "string", "description": "Holm-Bonferroni over the k(k-1)/2 pairs."},
        n_resamples={"type": "integer"},
        teams={"type": "array", "items": obj(["team_id", "team", "submission_id"], team_id={"type": "integer"},
                                             team={"type": "string"}, submission_id={"type": "integer"})},
        pairs={"type": "array", "items": obj(
            ["a", "b", "difference", "ci_low", "ci_high", "p_value", "p_adjusted", "better"],
            a={"type": "integer", "description": "team_id"}, b={"type": "integer", "description": "team_id"},
            difference={**NULLABLE_NUMBER, "description": "a's score minus b's"}, ci_low=NULLABLE_NUMBER,
            ci_high=NULLABLE_NUMBER, p_value=NULLABLE_NUMBER, p_adjusted=NULLABLE_NUMBER,
            better={**NULLABLE_INT, "description": "The team_id significantly better, or null."})},
    ),
    "Leaderboard": obj(
        ["challenge", "split", "metric", "higher_is_better", "as_of", "entries", "next_cursor"],
        challenge={"type": "string"},
        split={"type": "string", "enum": ["public", "private"]},
        metric={"type": "string"},
        higher_is_better={"type": "boolean"},
        ci_level={"type": "number", "description": "The level of ci_low..ci_high, e.g. 0.95 (the challenge's leaderboard.ci_level)."},
        ci_method={"type": "string", "enum": ["percentile", "bca"], "description": "How the entries' intervals were computed."},
        as_of=NULLABLE_TIME,
        entries={"type": "array", "items": ref("LeaderboardEntry")},
        ranking=ref("Ranking"),
        ranking_figure={**nullable(ref("RankingFigure")), "description": "What ranking_value is; null under primary."},
        tie_rule={"type": "string", "description": "The rule of tied_with_leader: an unadjusted paired comparison "
                                                   "with the leader at ci_level."},
        pairwise={**nullable(ref("PairwiseMap")), "description": "The private split's pairwise significance map; "
                                                                 "null on the public split and until computed."},
        next_cursor=NEXT_CURSOR,
        sites={"type": "array", "items": {"type": "string"},
               "description": "Several sites only: the challenge's sites, each scoring its own hidden rows."},
        combine={"type": "string", "enum": ["mean", "worst"],
                 "description": "Several sites only: score is the mean of the sites' scores, or the worst site's."},
        pending={"type": "array", "items": ref("PendingEntry"),
                 "description": "Several sites only: submissions some sites have scored and others not, unranked."},
    ),
}
