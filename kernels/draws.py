"""Monte Carlo draws that re-draw the data and the imputed values as well as the method's choices
(METHOD.md 3.10; ``uncertainty.sources`` in the methodology file).

For each draw, after the choices and weights that ``uncertainty`` drew:
- data (``sources.data``): every indicator with a sampling model is re-drawn from its own counts,
  ``binomial(denominator, numerator / denominator)`` for a proportion, ``poisson(numerator)`` for
  a count per inhabitant (their normal approximation, rounded, where the variance is at least 25), for every commune of the map (the smoothing prior needs them all), then
  smoothed again with the methodology's empirical Bayes (the draw's prior and between-commune
  variance). Money and prices (sampling: none) keep their value.
- imputation (``sources.imputation``): each imputed value is replaced by a value drawn at random
  from the observed values of its arrondissement (of the country when the arrondissement has
  none): a hot-deck draw around the arrondissement's median, so that the spread of the
  arrondissement shows in the ranks.
- the outlier treatment of the draw's limit runs on the draw's values before the normalisations
  it protects, then the draw's normalisation, domain scores, transform and weights.

Each source has its own random stream (seeded by year and source), so switching one source off
leaves the draws of the others exactly as they were. Vectorised over batches of draws: arrays of
draws x communes x indicators, no loop over draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtri

from kernels import aggregate, imputation, outliers, pipeline, smoothing
from kernels.methodology import Methodology

_BATCH = 250  # draws re-drawn at once: it fixes the order the random streams are read in
_SCORE_CHUNK = 64  # draws scored at once: each is scored on its own, so only speed depends on it


def _rank_slots(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For the contiguous rows of a 2-D array: where each position of each row's ascending order
    lies in the flattened array, and twice its average rank minus 2 (an integer: the first plus
    the last position of its tie group, ``2 p`` without a tie). A caller looks a function of the
    average rank up by that integer and scatters it back, instead of computing it per value."""
    count, n = rows.shape
    order = np.argsort(rows, axis=-1)  # tied values get their run's mean rank in any order
    # Flat positions: a gather and a scatter through them cost far less than take/put_along_axis.
    flat = order + (np.arange(count, dtype=order.dtype) * n)[:, None]
    ordered = rows.ravel()[flat]
    starts = np.ones(rows.shape, dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    doubled = np.broadcast_to(np.arange(0, 2 * n, 2), rows.shape)
    tied = np.flatnonzero(~starts.all(axis=1))
    if tied.size:
        doubled = doubled.copy()
        st = starts[tied]
        ends = np.ones(st.shape, dtype=bool)
        ends[:, :-1] = st[:, 1:]
        position = np.broadcast_to(np.arange(n), st.shape)
        first = np.maximum.accumulate(np.where(st, position, 0), axis=-1)
        last = np.flip(np.minimum.accumulate(np.flip(np.where(ends, position, n), axis=-1), axis=-1), axis=-1)
        doubled[tied] = first + last
    return flat, doubled


def _by_rank(x: np.ndarray, table: np.ndarray) -> np.ndarray:
    """``table[2 r - 2]`` for ``r`` the average rank (ties averaged, scipy's ``rankdata(method=
    "average")``) of each value along axis 1 of a 3-D array, ``table`` a function of the rank.
    Ranked on contiguous rows (the communes of one draw and indicator or domain); rows without a
    tie take their ordinal ranks, only rows with ties pay for averaging them."""
    rows = np.ascontiguousarray(np.moveaxis(x, 1, -1))
    shape = rows.shape
    rows = rows.reshape(-1, shape[-1])
    flat, doubled = _rank_slots(rows)
    out = np.empty(rows.shape, dtype=table.dtype)
    out.ravel()[flat] = table[doubled]
    return np.moveaxis(out.reshape(shape), -1, 1)


def _rank_table(n: int) -> np.ndarray:
    """The average ranks 1, 1.5, ..., n, indexed by twice the rank minus 2."""
    return np.arange(2 * n - 1) / 2.0 + 1.0


def _transform(dom: np.ndarray, aggregation: str, constant: float) -> np.ndarray:
    if aggregation == "exponential":
        # The transform of a rank depends on the rank alone: computed once per possible rank.
        n = dom.shape[1]
        return _by_rank(dom, aggregate.exponential_transform(_rank_table(n) / n, constant))
    return aggregate.domain_transform(dom, aggregation, constant)


def _normalise(x: np.ndarray, method: str) -> np.ndarray:
    """``normalise.NORMALISERS`` along the communes axis (1) of draws x communes x indicators."""
    if method == "rank_normal":
        # Average ranks are whole or half numbers: look Phi^-1(r / (n + 1)) up rather than compute it.
        n = x.shape[1]
        return _by_rank(x, ndtri(np.arange(2, 2 * n + 1) / 2.0 / (n + 1.0)))
    if method == "min_max":
        lo = x.min(axis=1, keepdims=True)
        span = x.max(axis=1, keepdims=True) - lo
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(span > 0, (x - lo) / span, 0.5)
    mean = x.mean(axis=1, keepdims=True)
    sd = x.std(axis=1, ddof=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sd > 0, (x - mean) / sd, 0.0)


class _Column:
    """What a draw needs to re-draw one kept indicator (column ``k`` of the prepared year)."""

    def __init__(self, prep: pipeline.PreparedYear, m: Methodology, k: int) -> None:
        data, j = prep.data, prep.cols[k]
        ind = m.indicator(prep.indicators[k])
        self.sampling = ind.sampling
        self.smoothable = pipeline.smoothable(m, ind.id)
        num, den = data.numerators[:, j], data.denominators[:, j]
        with np.errstate(invalid="ignore"):
            counts = np.isfinite(num) & np.isfinite(den) & (den > 0) & (num >= 0)
            if self.sampling == "binomial":
                counts &= num <= den
        self.counts = counts  # (N,) communes whose value can be re-drawn
        self.num, self.den = num, den
        with np.errstate(invalid="ignore", divide="ignore"):
            self.scale = smoothing.value_scale(data.values[:, j], np.where(counts, num / den, np.nan))
        observed = prep.imputed[:, k] == imputation.NOT_IMPUTED
        self.redraw = counts[prep.rows] & observed  # scored cells whose value comes from the counts
        # Hot-deck pools of the imputed cells: the observed values of the arrondissement, else all.
        raw = data.values[:, j]
        self.imputed = np.flatnonzero(~observed)
        self.pools = []
        for i in self.imputed:
            arr = data.arrondissements[prep.rows[i]]
            pool = raw[(data.arrondissements == arr) & np.isfinite(raw)]
            self.pools.append(pool if pool.size else raw[np.isfinite(raw)])
        # Worked out once for every batch of draws: which scored cells a data draw replaces, and
        # how the counts are drawn. A batch's counts are kept for the communes that have them
        # only (``counted``, columns of the map); ``redraw_from`` is where each redrawn cell's
        # commune sits among them.
        self.redraw_at = np.flatnonzero(self.redraw)
        self.counted = np.flatnonzero(counts)
        self.redraw_from = np.searchsorted(self.counted, prep.rows[self.redraw_at])
        self.counted_groups = data.arrondissements[self.counted]
        self.model = _CountModel(self.sampling, num, den, counts) if self.sampling != "none" else None


def score_draws(
    prep: pipeline.PreparedYear,
    m: Methodology,
    choices: pd.DataFrame,
    weights: np.ndarray,
    *,
    data_rng: np.random.Generator | None,
    imputation_rng: np.random.Generator | None,
) -> np.ndarray:
    """(K, N) scores of the scored communes in each draw. ``choices``: one row per draw with the
    options drawn (``uncertainty``); ``weights`` (K, D) the draw's domain weights; a source is on
    when its generator is given."""
    k = len(choices)
    columns = [_Column(prep, m, c) for c in range(len(prep.indicators))]
    nominal = {s: pipeline.smooth(prep, m, s).values for s in {bool(v) for v in choices["smoothing"]}}
    small = (
        prep.data.population < m.smoothing.min_population
        if m.smoothing.min_population > 0
        else np.ones(len(prep.data.nis_codes), dtype=bool)
    )
    out = np.empty((k, len(prep.rows)))
    for start in range(0, k, _BATCH):
        s = slice(start, min(start + _BATCH, k))
        part = choices.iloc[s]
        smooth_on = part["smoothing"].to_numpy(dtype=bool)
        values = np.where(smooth_on[:, None, None], nominal.get(True, 0.0), nominal.get(False, 0.0))
        b = len(part)
        for c, col in enumerate(columns):
            if data_rng is not None and col.sampling != "none" and col.redraw.any():
                values[:, col.redraw_at, c] = _redraw(col, prep, m, data_rng, b, smooth_on, small)
            if imputation_rng is not None and col.imputed.size:
                for i, pool in zip(col.imputed, col.pools):
                    values[:, i, c] = pool[imputation_rng.integers(pool.size, size=b)]
        # Scored a few draws at a time: each draw is scored on its own (row by row), and a chunk's
        # arrays stay in the processor's cache, where the whole batch's (~16 MB) would not.
        options = _Options.of(part)
        for first in range(0, b, _SCORE_CHUNK):
            chunk = slice(first, min(first + _SCORE_CHUNK, b))
            out[start + chunk.start : start + chunk.stop] = _score_batch(
                prep, m, values[chunk], options.rows(chunk), weights[s][chunk]
            )
    return out


@dataclass(frozen=True)
class _Options:
    """The options some draws picked (``uncertainty``), as arrays."""

    treat_on: np.ndarray
    limits: np.ndarray
    norms: np.ndarray
    aggs: np.ndarray

    @classmethod
    def of(cls, part: pd.DataFrame) -> _Options:
        return cls(
            part["outlier_treatment"].to_numpy(dtype=bool),
            part["winsorising_limit"].to_numpy(dtype=int),
            part["normalisation"].to_numpy(dtype=object),
            part["aggregation"].to_numpy(dtype=object),
        )

    def rows(self, rows: slice) -> _Options:
        return _Options(self.treat_on[rows], self.limits[rows], self.norms[rows], self.aggs[rows])


# Above this variance a count is drawn from its normal approximation (rounded, within its bounds):
# the same distribution to well under one count, ten times faster than exact binomial draws.
_NORMAL_FROM_VARIANCE = 25.0


class _CountModel:
    """How a column's counts are drawn around ``num`` (binomial(den, num / den) or poisson(num)),
    worked out once: which communes take the normal approximation, their mean and spread."""

    def __init__(self, sampling: str, num: np.ndarray, den: np.ndarray, counts: np.ndarray) -> None:
        at = np.flatnonzero(counts)
        num, den = num[at], den[at]
        if sampling == "binomial":
            p = num / den
            var = den * p * (1.0 - p)
        else:
            var = num.astype(float)
        large = var >= _NORMAL_FROM_VARIANCE
        self.sampling = sampling
        self.normal_at, self.exact_at = np.flatnonzero(large), np.flatnonzero(~large)  # among the counted
        self.mean, self.spread = num[large], np.sqrt(var[large])
        self.high = den[large] if sampling == "binomial" else np.inf
        self.trials = den[~large].astype(np.int64)
        self.p = p[~large] if sampling == "binomial" else None
        self.expected = num[~large]

    def draw(self, rng: np.random.Generator, b: int, out: np.ndarray) -> None:
        """Fill ``out`` (b, communes with counts) with b draws of the counts (the normal ones
        first, then the exact ones: the order the random stream has always been read in)."""
        if self.normal_at.size:
            # Every commune normal (the usual case): drawn straight into ``out``, the same stream.
            every = self.normal_at.size == out.shape[1]
            z = rng.standard_normal(out=out) if every else rng.standard_normal((b, self.normal_at.size))
            # rint(mean + spread z), then clip(., 0, high) written as max then min: the same
            # numbers, computed in place, without np.clip's overhead.
            np.multiply(z, self.spread, out=z)
            np.add(z, self.mean, out=z)
            np.rint(z, out=z)
            np.maximum(z, 0.0, out=z)
            np.minimum(z, self.high, out=z)
            if not every:
                out[:, self.normal_at] = z
        if self.exact_at.size:
            if self.sampling == "binomial":
                out[:, self.exact_at] = rng.binomial(self.trials, self.p, size=(b, self.exact_at.size))
            else:
                out[:, self.exact_at] = rng.poisson(self.expected, size=(b, self.exact_at.size))


def _redraw(col: _Column, prep, m: Methodology, rng, b: int, smooth_on, small) -> np.ndarray:
    """(b, R) values of the column's redrawn cells (``col.redraw_at``) in each draw of the batch."""
    y = np.empty((b, col.counted.size))
    col.model.draw(rng, b, y)
    den = col.den[col.counted]
    if col.smoothable and smooth_on.any():
        # The prior and the between-commune variance read every commune with a count.
        if m.smoothing.prior == smoothing.MEDIAN:
            rate = smoothing.shrink_counted_draws(y, den, col.counted_groups, col.counted, col.counts.size)
        else:
            on_map = np.full((b, col.counts.size), np.nan)
            on_map[:, col.counted] = y
            denominators = np.where(col.counts, col.den, np.nan)
            rate = smoothing.shrink_draws(on_map, denominators, prep.data.arrondissements, m.smoothing.prior)[:, col.counted]
        if not (small.all() and smooth_on.all()):
            raw = y / den
            rate = np.where(small[col.counted][None, :], rate, raw)  # method 1 smoothed small communes only
            rate = np.where(smooth_on[:, None], rate, raw)
        rate = rate[:, col.redraw_from]
    else:
        rate = y[:, col.redraw_from] / den[col.redraw_from]
    return rate * col.scale


def _score_batch(prep, m: Methodology, values: np.ndarray, options: _Options, weights: np.ndarray) -> np.ndarray:
    """Scores of some draws: each group of draws sharing normalisation, limit and aggregation at once."""
    out = np.empty(values.shape[:2])
    treat_on, limits, norms, aggs = options.treat_on, options.limits, options.norms, options.aggs
    for norm in dict.fromkeys(norms):
        for agg in dict.fromkeys(aggs):
            idx = np.flatnonzero((norms == norm) & (aggs == agg))
            if not idx.size:
                continue
            x = values[idx]
            protect = np.flatnonzero(treat_on[idx]) if norm in m.outliers.normalisations else np.array([], dtype=int)
            if protect.size:
                # Every indicator of every protected draw in one call: treat_draws works row by
                # row (a draw's indicator over the communes), each row with its own limit.
                j = x.shape[2]
                rows = np.ascontiguousarray(x[protect].transpose(0, 2, 1)).reshape(-1, x.shape[1])
                treated = outliers.treat_draws(
                    rows,
                    np.repeat(limits[idx][protect], j),
                    skewness_threshold=m.outliers.skewness_threshold,
                    kurtosis_threshold=m.outliers.kurtosis_threshold,
                    log_fallback=m.outliers.fallback == "log_transform",
                    log_offset_share=m.outliers.log_offset_share,
                )
                x = x.copy()
                x[protect] = treated.reshape(protect.size, j, x.shape[1]).transpose(0, 2, 1)
            z = _normalise(x * prep.directions, norm)
            dom = aggregate.domain_scores(z, prep.domain_index, prep.indicator_weights, len(prep.domains))
            t = _transform(dom, agg, m.exponential_constant)
            out[idx] = aggregate.combine(t, weights[idx], agg)
    return out
