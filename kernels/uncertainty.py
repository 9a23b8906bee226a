"""Uncertainty of the ranks (METHOD.md 3.10; COINr's uncertainty analysis).

Each of ``draws`` seeded draws picks one option per uncertain choice of the methodology file
(method 2: normalisation and winsorising limit; method 1 also drew outlier treatment on/off,
smoothing on/off, aggregation and a domain left out) and perturbs the domain weights,
w' = w (1 + noise U(-1, 1)) (the domain weights: within-domain weights stay equal). With
``uncertainty.sources`` on, each draw also re-draws the data and the imputed values (``draws``).
Per commune and year we report the median rank and the 5th and 95th percentile ranks over the
draws, as ranks that occurred (inverted empirical CDF), so they are whole ranks. Screening is not
varied. Sensitivity (leave-outs, Sobol indices) is ``sensitivity``.

Without data or imputation draws (method 1), vectorised this way: every treated, normalised and
transformed variant of a year is computed once
(at most 2 smoothing x 6 outlier x 3 normalisation x 3 aggregation stacks of communes x domains);
a draw is then an index into that stack and a weight vector, and all draws are scored with one
array product. Ranks use the same rule as the index (1 = most need).

``_sensitivity`` (used by ``sensitivity``) gives, per choice, the mean absolute rank shift against
the nominal rank when that choice alone takes each of its other options (one at a time,
everything else nominal); for the weights, over noisy weights alone.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kernels import aggregate, pipeline
from kernels import draws as data_draws
from kernels.methodology import Methodology
from kernels.prepare import prepare_years

RANK_COLUMNS = ("nis_code", "year", "rank_nominal", "rank_median", "rank_p05", "rank_p95", "draws")
SENSITIVITY_COLUMNS = ("year", "choice", "option", "mean_abs_rank_shift", "max_abs_rank_shift")
_BATCH = 250  # draws scored at once; bounds memory at ~ batch x communes x domains floats


@dataclass(frozen=True)
class YearDraws:
    """The raw draws of one year, for consumers that need more than percentiles (the fund)."""

    year: int
    nis_codes: np.ndarray  # (N,) scored communes
    choices: pd.DataFrame  # one row per draw: the options drawn and the weights used
    scores: np.ndarray  # (K, N) score of each commune in each draw (scale depends on the draw)
    ranks: np.ndarray  # (K, N) int32, 1 = most need

    @property
    def ranks_by_commune(self) -> np.ndarray:
        """(N, K): communes x draws, the layout fund_gates.eligibility_probability expects."""
        return self.ranks.T


@dataclass(frozen=True)
class UncertaintyResult:
    ranks: pd.DataFrame  # commune x year: rank_nominal, rank_median, rank_p05, rank_p95, draws
    draws: dict[int, YearDraws]

    def draw_ranks_frame(self) -> pd.DataFrame:
        """Long frame nis_code, year, draw, rank (one row per commune and draw)."""
        frames = [
            pd.DataFrame(
                {
                    "nis_code": np.tile(d.nis_codes, d.ranks.shape[0]),
                    "year": d.year,
                    "draw": np.repeat(np.arange(d.ranks.shape[0]), d.ranks.shape[1]),
                    "rank": d.ranks.reshape(-1),
                }
            )
            for d in self.draws.values()
        ]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["nis_code", "year", "draw", "rank"])


@dataclass(frozen=True)
class _Variants:
    """All precomputed variants of a year, indexed by (smoothing, outlier, normalisation, aggregation)."""

    keys: dict[tuple[bool, int, str], int]  # (smoothing, outlier limit or 0 = off, normalisation) -> v
    aggregations: tuple[str, ...]
    stack: np.ndarray  # (A, V, N, D): transformed domain scores; log of them for "geometric"


def run_uncertainty(
    indicators: pd.DataFrame,
    communes: pd.DataFrame,
    methodology: Methodology,
    population: pd.DataFrame | None = None,
    *,
    draws: int | None = None,
    seed: int | None = None,
    workers: int = 1,
) -> UncertaintyResult:
    """Monte Carlo over the methodology's uncertain choices, for every year in ``indicators``.

    ``draws`` and ``seed`` default to the methodology's; a year's draws depend only on the seed
    and the year, so adding a year leaves the others' results unchanged. That also lets
    ``workers`` threads draw different years at once (numpy releases the GIL in the array work):
    the same draws and the same result, in less wall time when a core is free.
    """
    m = methodology
    k = m.uncertainty.draws if draws is None else int(draws)
    base_seed = m.uncertainty.seed if seed is None else int(seed)
    years = list(prepare_years(indicators, communes, m, population).items())
    if workers > 1 and len(years) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            done = list(pool.map(lambda item: year_draws(item[0], item[1], m, k, base_seed), years))
    else:
        done = [year_draws(year, data, m, k, base_seed) for year, data in years]
    return combine(done)


def combine(done: list[tuple[pd.DataFrame, YearDraws] | None]) -> UncertaintyResult:
    """The years' draws (``year_draws``, in year order) as one result."""
    done = [d for d in done if d is not None]
    return UncertaintyResult(
        ranks=_frame([frame for frame, _ in done], RANK_COLUMNS), draws={d.year: d for _, d in done}
    )


def year_draws(year: int, data, m: Methodology, k: int, base_seed: int) -> tuple[pd.DataFrame, YearDraws] | None:
    """One year's percentile ranks and raw draws (None when nothing is scored that year), from
    ``prepare_years``' data of that year, ``k`` draws and the seed: a year's draws depend on
    nothing else, so years may be drawn in any order, or at once, and ``combine``d in year order."""
    prep = pipeline.prepare_year(data, m)
    if len(prep.rows) == 0 or len(prep.cols) == 0:
        return None
    rng = np.random.default_rng([base_seed, year])
    resample = m.uncertainty.data or m.uncertainty.imputation
    # The precomputed variants serve the draws without data or imputation (method 1) only.
    variants = None if resample else _precompute(prep, m)
    nominal_rank = aggregate.need_rank(_nominal_score(prep, m))
    choices, v_idx, a_idx, weights = _draw(rng, k, prep, m, variants)
    if resample:
        # Data and imputed values differ in every draw: the whole pipeline runs per draw
        # (vectorised), each source from a stream of its own (``draws``).
        scores = data_draws.score_draws(
            prep,
            m,
            choices,
            weights,
            data_rng=np.random.default_rng([base_seed, year, 1]) if m.uncertainty.data else None,
            imputation_rng=np.random.default_rng([base_seed, year, 2]) if m.uncertainty.imputation else None,
        )
    else:
        scores = np.concatenate([_score(variants, (a_idx[s], v_idx[s]), weights[s]) for s in _batches(k)], axis=0)
    draw_ranks = aggregate.need_ranks(scores).astype(np.int32)
    # Percentiles as ranks that occurred (inverted CDF): whole ranks, no "rank 264.95".
    p05, p50, p95 = np.percentile(draw_ranks, [5, 50, 95], axis=0, method="inverted_cdf").astype(int)
    frame = pd.DataFrame(
        {
            "nis_code": prep.nis_codes,
            "year": year,
            "rank_nominal": nominal_rank.astype(int),
            "rank_median": p50,
            "rank_p05": p05,
            "rank_p95": p95,
            "draws": k,
        }
    )
    return frame, YearDraws(year, prep.nis_codes, choices, scores, draw_ranks)


def _nominal_score(prep: pipeline.PreparedYear, m: Methodology) -> np.ndarray:
    """The index score of the year's scored communes, as ``index`` computes it."""
    sm = pipeline.smooth(prep, m, m.smoothing.enabled)
    tr = pipeline.treat(sm.values, m, pipeline.treats_before(m, m.normalisation))
    norm = pipeline.normalised(prep, tr.values, m.normalisation)
    return pipeline.aggregate_year(prep, norm, m.aggregation, m.exponential_constant).score


def benchmark(
    n_communes: int = 565,
    draws: int = 1000,
    *,
    years: int = 7,
    seed: int = 0,
    methodology: Methodology | None = None,
) -> float:
    """Seconds of processor time of ``run_uncertainty`` on ``years`` synthetic years (for
    ``make bench`` and the speed test). Processor time, not wall time: the machine's other work
    must not count (the kernel is single-threaded; OpenBLAS threads only matter for large arrays).

    Without ``methodology``, reads the repository's config/methodology.yml.
    """
    from ingestion.settings import config_dir
    from kernels.methodology import load_methodology
    from kernels.synthetic import make_synthetic

    if methodology is None:
        methodology = load_methodology(config_dir() / "methodology.yml")
    span = tuple(range(methodology.base_year - years + 1, methodology.base_year + 1))
    data = make_synthetic(n_communes, max(1, round(n_communes * 43 / 565)), span, seed=seed)
    start = time.process_time()
    run_uncertainty(data.indicators, data.communes, methodology, data.population, draws=draws)
    return time.process_time() - start


def _options(m: Methodology, name: str, nominal):
    choice = m.uncertainty.choice(name)
    return (nominal,) if choice is None else choice.options


def _nominal(m: Methodology) -> dict[str, object]:
    return {
        "outlier_treatment": m.outliers.enabled,
        "winsorising_limit": m.outliers.max_winsorised_points,
        "smoothing": m.smoothing.enabled,
        "normalisation": m.normalisation,
        "aggregation": m.aggregation,
        "leave_domain_out": "none",
    }


def _precompute(prep: pipeline.PreparedYear, m: Methodology) -> _Variants:
    nom = _nominal(m)
    smooth_opts = sorted(set(_options(m, "smoothing", nom["smoothing"])) | {nom["smoothing"]})
    limits = set(_options(m, "winsorising_limit", nom["winsorising_limit"])) | {nom["winsorising_limit"]}
    outlier_opts = set()
    treat_opts = set(_options(m, "outlier_treatment", nom["outlier_treatment"])) | {nom["outlier_treatment"]}
    if False in treat_opts:
        outlier_opts.add(0)
    if True in treat_opts:
        outlier_opts |= {int(x) for x in limits}
    norms = tuple(dict.fromkeys((*_options(m, "normalisation", nom["normalisation"]), nom["normalisation"])))
    aggs = tuple(dict.fromkeys((*_options(m, "aggregation", nom["aggregation"]), nom["aggregation"])))

    keys: dict[tuple[bool, int, str], int] = {}
    domain_stack = []
    for s in smooth_opts:
        sm = pipeline.smooth(prep, m, bool(s))
        untreated: dict[str, int] = {}
        # Every limit from one pass of winsorising steps per indicator (a limit only says where they stop).
        by_limit = pipeline.treat_limits(sm.values, m, sorted(o for o in outlier_opts if o > 0))
        for o in sorted(outlier_opts):
            tr = by_limit[o] if o > 0 else pipeline.treat(sm.values, m, False)
            for norm in norms:
                protected = norm in m.outliers.normalisations
                if not protected and norm in untreated:
                    # No treatment before this normalisation: one variant per smoothing option.
                    keys[(bool(s), o, norm)] = untreated[norm]
                    continue
                z = pipeline.normalised(prep, tr.values if protected else sm.values, norm)
                dom = aggregate.domain_scores(z, prep.domain_index, prep.indicator_weights, len(prep.domains))
                keys[(bool(s), o, norm)] = len(domain_stack)
                if not protected:
                    untreated[norm] = len(domain_stack)
                domain_stack.append(dom)
    doms = np.stack(domain_stack)  # (V, N, D)
    layers = []
    for agg in aggs:
        t = aggregate.domain_transform(doms, agg, m.exponential_constant)
        layers.append(np.log(t) if agg == "geometric" else t)
    return _Variants(keys, aggs, np.stack(layers))


def _variant(variants: _Variants, smoothing: bool, treat: bool, limit: int, norm: str) -> int:
    return variants.keys[(bool(smoothing), int(limit) if treat else 0, norm)]


def _nominal_index(variants: _Variants, m: Methodology) -> tuple[np.ndarray, np.ndarray]:
    nom = _nominal(m)
    v = _variant(variants, nom["smoothing"], nom["outlier_treatment"], nom["winsorising_limit"], nom["normalisation"])
    return np.array([variants.aggregations.index(nom["aggregation"])]), np.array([v])


def _score(variants: _Variants, index: tuple[np.ndarray, np.ndarray], weights: np.ndarray) -> np.ndarray:
    """(K, N) scores; ranks are what matter (the geometric layer holds logs: same order)."""
    a_idx, v_idx = index
    w = weights / weights.sum(axis=1, keepdims=True)
    layer = variants.stack[a_idx, v_idx]  # (K, N, D)
    return np.einsum("knd,kd->kn", layer, w)


def _draw(rng: np.random.Generator, k: int, prep: pipeline.PreparedYear, m: Methodology, variants: _Variants | None):
    nom = _nominal(m)
    picked: dict[str, np.ndarray] = {}
    for name in ("outlier_treatment", "winsorising_limit", "smoothing", "normalisation", "aggregation", "leave_domain_out"):
        choice = m.uncertainty.choice(name)
        if choice is None:
            picked[name] = np.array([nom[name]] * k, dtype=object)
        else:
            at = rng.choice(len(choice.options), size=k, p=np.array(choice.probabilities))
            picked[name] = np.array(choice.options, dtype=object)[at]
    noise = rng.uniform(-1.0, 1.0, size=(k, len(prep.domains)))
    weights = prep.domain_weights[None, :] * (1.0 + m.uncertainty.weight_noise * noise)
    for d, dom in enumerate(prep.domains):
        out = picked["leave_domain_out"] == dom
        if len(prep.domains) > 1:
            weights[out, d] = 0.0
    v_idx = a_idx = None
    if variants is not None:
        v_idx = np.array(
            [
                _variant(variants, s, t, lim, norm)
                for s, t, lim, norm in zip(
                    picked["smoothing"], picked["outlier_treatment"], picked["winsorising_limit"], picked["normalisation"]
                )
            ]
        )
        a_idx = np.array([variants.aggregations.index(a) for a in picked["aggregation"]])
    table = pd.DataFrame({"draw": np.arange(k), **{name: values for name, values in picked.items()}})
    for d, dom in enumerate(prep.domains):
        table[f"weight_{dom}"] = 100.0 * weights[:, d] / weights.sum(axis=1)
    return table, v_idx, a_idx, weights


def _sensitivity(
    prep: pipeline.PreparedYear,
    m: Methodology,
    variants: _Variants,
    nominal_rank: np.ndarray,
    noisy_weights: np.ndarray,
    year: int,
) -> pd.DataFrame:
    nom = _nominal(m)
    base_w = prep.domain_weights[None, :]
    rows = []

    def shift(a: int, v: int, w: np.ndarray) -> np.ndarray:
        s = _score(variants, (np.full(len(w), a), np.full(len(w), v)), w)
        return np.abs(aggregate.need_ranks(s) - nominal_rank[None, :])

    a0 = variants.aggregations.index(nom["aggregation"])
    for choice in m.uncertainty.choices:
        for option in choice.options:
            if _same(option, nom[choice.name]):
                continue
            setting = dict(nom, **{choice.name: option})
            if choice.name == "winsorising_limit":
                setting["outlier_treatment"] = True
            w = base_w.copy()
            if choice.name == "leave_domain_out":
                if option not in prep.domains or len(prep.domains) == 1:
                    continue
                w[0, prep.domains.index(option)] = 0.0
            v = _variant(
                variants, setting["smoothing"], setting["outlier_treatment"], setting["winsorising_limit"], setting["normalisation"]
            )
            d = shift(variants.aggregations.index(setting["aggregation"]), v, w)
            rows.append((year, choice.name, str(option), float(d.mean()), float(d.max())))
    v0 = _nominal_index(variants, m)[1][0]
    d = np.concatenate([shift(a0, v0, noisy_weights[s]) for s in _batches(len(noisy_weights))], axis=0)
    rows.append((year, "weights", f"noise {m.uncertainty.weight_noise:g}", float(d.mean()), float(d.max())))
    return pd.DataFrame(rows, columns=list(SENSITIVITY_COLUMNS))


def _same(a: object, b: object) -> bool:
    # True == 1 in Python; an on/off option and a number of points are never the same option.
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def _batches(k: int) -> list[slice]:
    return [slice(i, min(i + _BATCH, k)) for i in range(0, k, _BATCH)]


def _frame(frames: list[pd.DataFrame], columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(columns))
