"""Seeded bootstrap resamples shared by every submission of a challenge.

The resamples of a set of rows are read in order from one counter-based stream of uniforms, seeded
by (challenge seed, stream): resample b uses the stream's values b*n to (b+1)*n - 1, so it depends
only on the challenge's seed, which rows are scored (the stream names the split or subgroup) and
b, never on a submission, and any one resample is reached directly by advancing the counter. Every team is therefore resampled identically, so
replicates are paired across teams, and the first 1,000 resamples are the same whether 1,000 or
10,000 are drawn. Rows are drawn within strata (the outcome class, or event/censored), so each
resample keeps the split's prevalence and a rank metric is defined on every resample.
"""

from __future__ import annotations

import hashlib
from statistics import NormalDist
from typing import Iterator

import numpy as np

# Weights held at once: resamples x rows, 2 MB of int32, so a chunk stays in the cache; 1 << 21
# was 1.1-2x slower for every batched metric at 10k rows (bench/scoring.py).
MAX_CHUNK_CELLS = 1 << 19


def stream_id(*parts: object) -> int:
    """Return a stable 63-bit number naming a set of rows (e.g. "public", or a subgroup)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def _stratum_layout(strata: np.ndarray | None, n_rows: int):
    """Return rows grouped by stratum, and for each slot its stratum's start and size."""
    if strata is None:
        rows = np.arange(n_rows)
        return rows, np.zeros(n_rows, dtype=np.int64), np.full(n_rows, n_rows, dtype=np.int64)
    strata = np.asarray(strata)
    _, codes = np.unique(strata, return_inverse=True)
    codes = codes.ravel()
    rows = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    sorted_codes = codes[rows]
    return rows, starts[sorted_codes], sizes[sorted_codes]


def _uniforms(seed: int, stream: int, first_resample: int, n_rows: int) -> np.random.Generator:
    """Return the generator positioned at the first uniform of resample `first_resample`."""
    bits = np.random.PCG64(np.random.SeedSequence([int(seed) & (2**63 - 1), stream]))
    # One 64-bit output per float64 uniform, so resample b starts b * n_rows outputs in.
    bits.advance(first_resample * n_rows)
    return np.random.Generator(bits)


def bootstrap_indices(
    seed: int, n_rows: int, resample: int, *, strata: np.ndarray | None = None, stream: int = 0
) -> np.ndarray:
    """Return the row indices drawn by one resample (with repetition, grouped by stratum)."""
    rows, start, size = _stratum_layout(strata, n_rows)
    uniforms = _uniforms(seed, stream, resample, n_rows).random(n_rows)
    return rows[start + np.floor(uniforms * size).astype(np.int64)]


def bootstrap_weights(
    seed: int,
    n_rows: int,
    n_resamples: int,
    *,
    strata: np.ndarray | None = None,
    stream: int = 0,
    chunk: int | None = None,
) -> Iterator[np.ndarray]:
    """Yield (resamples, rows) int32 matrices of multiplicities, resamples in order 0..B-1."""
    if n_rows == 0:
        return
    rows, start, size = _stratum_layout(strata, n_rows)
    chunk = chunk or max(1, MAX_CHUNK_CELLS // n_rows)
    generator = _uniforms(seed, stream, 0, n_rows)
    for first in range(0, n_resamples, chunk):
        count = min(chunk, n_resamples - first)
        drawn = rows[start + np.floor(generator.random((count, n_rows)) * size).astype(np.int64)]
        flat = (drawn + np.arange(count)[:, None] * n_rows).ravel()
        yield np.bincount(flat, minlength=count * n_rows).astype(np.int32).reshape(count, n_rows)


def percentile_interval(replicates: np.ndarray, level: float) -> tuple[float | None, float | None]:
    """Return the percentile interval at `level` of the finite replicates (None when there are none)."""
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0:
        return None, None
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


def bca_interval(
    replicates: np.ndarray, estimate: float, jackknife: np.ndarray, level: float
) -> tuple[float | None, float | None]:
    """Return the bias-corrected and accelerated (BCa) interval at `level` (Efron 1987, JASA 82:171).

    The tails a/2 and 1 - a/2 move to Phi(z0 + (z0 + z) / (1 - acc (z0 + z))) for z = Phi^-1 of
    each: z0 = Phi^-1(share of replicates below the estimate, ties counting half) corrects the
    median bias, and acc = sum(d^3) / (6 sum(d^2)^1.5), d the jackknife values' deviations from
    their mean, the skewness (Efron & Tibshirani 1993, 14.3). When every replicate lies on one
    side of the estimate z0 is infinite, and the percentile interval is returned instead (as it is
    when acc (z0 + z) reaches 1).
    """
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0:
        return None, None
    below = (np.count_nonzero(finite < estimate) + np.count_nonzero(finite <= estimate)) / (2 * finite.size)
    if not 0 < below < 1:
        return percentile_interval(finite, level)
    normal = NormalDist()
    z0 = normal.inv_cdf(below)
    defined = jackknife[np.isfinite(jackknife)]
    deviations = defined.mean() - defined if defined.size else defined
    spread = float(np.sum(deviations**2))
    # No spread among the leave-one-out values (or none defined): no acceleration to estimate.
    acceleration = float(np.sum(deviations**3)) / (6 * spread**1.5) if spread > 0 else 0.0
    shifted = [z0 + z for z in (normal.inv_cdf((1 - level) / 2), normal.inv_cdf((1 + level) / 2))]
    if any(acceleration * z >= 1 for z in shifted):
        return percentile_interval(finite, level)  # so skewed that the correction has no meaning
    low, high = np.percentile(finite, [100 * normal.cdf(z0 + z / (1 - acceleration * z)) for z in shifted])
    return float(low), float(high)
