"""Gates A and B of the local cohesion fund, eligibility, and its probability under the index's
uncertainty (METHOD.md section 4).

Gate A compares a commune's raw 3-year arrivals rate with a reference blended from the national
and regional rates, each computed as a sum of numerators over a sum of denominators (a pooled
rate, so a small commune does not weigh as much as Antwerp in the reference). Gate B keeps, among
the communes passing gate A, those whose cohesion-index rank lies in the top fraction.

Distances say how far a failing commune is from passing, and are 0 when it passes:
``gate_a_gap`` is the rise in the commune's own rate (per 1,000) that would make it pass,
counting that its extra arrivals also raise the national and regional references (so it exceeds
threshold minus value, noticeably for a large commune), rounded UP to 0.1 per 1,000 so that
closing the stated gap is enough (the reason text states this very number; the unrounded signed
distance is ``gate_a_gap_exact``, negative when the commune passes with that margin);
``gate_a_count_gap`` is the arrivals missing to the minimum; ``gate_b_gap`` the ranks missing to
the cut-off rank.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from kernels.fund_frames import FundInputError, require_columns, require_unique
from kernels.fund_reasons import LANGS, explain
from kernels.fund_rules import FundRules

GATE_A_COLUMNS: tuple[str, ...] = (
    "nis_code",
    "year",
    "indicator",
    "numerator",
    "denominator",
    "region_code",
)
INDEX_COLUMNS: tuple[str, ...] = ("nis_code", "year", "rank")

# Rates are "per 1,000 inhabitants": the unit of the gate-A indicator, not a policy parameter.
PER = 1000.0
# The precision of a published gate-A gap (and of the reason text that states it).
GAP_DECIMALS = 1
# A value equal to its threshold passes; this absorbs float noise in the pooled sums only.
_TIE = 1e-9


def gate_a(indicators: pd.DataFrame, rules: FundRules) -> pd.DataFrame:
    """Gate A per commune-year.

    ``indicators`` is long (one row per commune, year and indicator; other indicators are
    ignored) with the raw ``numerator`` and ``denominator`` and the commune's ``region_code``; an
    optional ``flags`` column (text or list) excludes rows carrying a flag listed in
    ``gate_a.excluded_flags``. Every commune-year present in the frame gets one output row.
    """
    require_columns(indicators, GATE_A_COLUMNS, "gate_a indicators")
    g = rules.gate_a
    communes = indicators[["nis_code", "year", "region_code"]].drop_duplicates()
    require_unique(communes, ["nis_code", "year"], "gate_a indicators (one region_code per commune-year)")

    rows = gate_a_rows(indicators, rules)
    require_unique(rows, ["nis_code", "year", "indicator"], "gate_a indicators")
    numerator = pd.to_numeric(rows["numerator"], errors="coerce").astype("float64")
    denominator = pd.to_numeric(rows["denominator"], errors="coerce").astype("float64")
    usable = gate_a_usable(rows, rules)
    rows = pd.DataFrame(
        {
            "nis_code": rows["nis_code"],
            "year": rows["year"],
            "region_code": rows["region_code"],
            "indicator": rows["indicator"],
            "numerator": numerator,
            "denominator": denominator,
            "is_proxy": rows["indicator"] != g.indicator,
        }
    ).loc[usable]

    # Each indicator is compared with the reference computed from the same indicator, so a
    # commune on the proxy is measured against the proxy's national and regional rates.
    for level, keys in (
        ("national", ["year", "indicator"]),
        ("regional", ["year", "indicator", "region_code"]),
    ):
        sums = rows.groupby(keys, sort=False)[["numerator", "denominator"]].transform("sum")
        rows[f"{level}_numerator"] = sums["numerator"]
        rows[f"{level}_denominator"] = sums["denominator"]
        rows[f"{level}_rate"] = PER * sums["numerator"] / sums["denominator"]
    # The indicator where usable, else the proxy.
    chosen = (
        rows.sort_values("is_proxy", kind="stable")
        .drop_duplicates(["nis_code", "year"])
        .drop(columns=["region_code", "is_proxy"])
    )

    out = communes.merge(chosen, on=["nis_code", "year"], how="left")
    value = PER * out["numerator"] / out["denominator"]
    wn, wr = float(g.national_weight), float(g.regional_weight)
    threshold = wn * out["national_rate"] + wr * out["regional_rate"]
    gap = _rate_gap(out, wn, wr, value, threshold)
    rate_pass = (value >= threshold - _TIE * threshold.abs().clip(lower=1.0)).fillna(False)
    count_pass = (out["numerator"] >= g.min_arrivals).fillna(False)
    result = pd.DataFrame(
        {
            "nis_code": out["nis_code"],
            "year": out["year"],
            "region_code": out["region_code"],
            "gate_a_indicator": out["indicator"],
            "gate_a_proxy": (out["indicator"].notna() & (out["indicator"] != g.indicator)).astype(bool),
            "gate_a_numerator": out["numerator"],
            "gate_a_denominator": out["denominator"],
            "gate_a_value": value,
            "gate_a_national_rate": out["national_rate"],
            "gate_a_regional_rate": out["regional_rate"],
            # The sums behind the references: the fund's draws move them with the counts.
            "gate_a_national_numerator": out["national_numerator"],
            "gate_a_national_denominator": out["national_denominator"],
            "gate_a_regional_numerator": out["regional_numerator"],
            "gate_a_regional_denominator": out["regional_denominator"],
            "gate_a_threshold": threshold,
            "gate_a_rate_pass": rate_pass.astype(bool),
            "gate_a_count_pass": count_pass.astype(bool),
            "gate_a_pass": (rate_pass & count_pass).astype(bool),
            "gate_a_gap": np.where(rate_pass, 0.0, round_up(gap, GAP_DECIMALS)),
            "gate_a_gap_exact": gap,
            "gate_a_count_gap": np.where(count_pass, 0.0, g.min_arrivals - out["numerator"]),
        }
    )
    return result.sort_values(["year", "nis_code"], ignore_index=True)


def gate_a_rows(indicators: pd.DataFrame, rules: FundRules) -> pd.DataFrame:
    """The rows of the gate-A indicator and, when allowed, of its proxy."""
    g = rules.gate_a
    names = [g.indicator] + ([g.proxy_indicator] if g.allow_proxy and g.proxy_indicator else [])
    return indicators.loc[indicators["indicator"].isin(names)]


def gate_a_usable(rows: pd.DataFrame, rules: FundRules) -> pd.Series:
    """Whether each row can be compared with its reference: a raw numerator, a positive
    denominator, and no flag of ``gate_a.excluded_flags`` (gate A is never fed imputed values)."""
    g = rules.gate_a
    numerator = pd.to_numeric(rows["numerator"], errors="coerce").astype("float64")
    denominator = pd.to_numeric(rows["denominator"], errors="coerce").astype("float64")
    usable = np.isfinite(numerator) & np.isfinite(denominator) & (denominator > 0)
    if "flags" in rows.columns and g.excluded_flags:
        usable &= ~rows["flags"].map(lambda f: _has_flag(f, g.excluded_flags)).astype(bool)
    return usable


def gate_b(index: pd.DataFrame, gate_a_result: pd.DataFrame, rules: FundRules) -> pd.DataFrame:
    """Gate B per commune-year of ``gate_a_result``.

    ``index`` holds ``nis_code``, ``year`` and ``rank`` (1 = most need). The cut-off is the
    index rank of the last place in the top fraction of the gate-A communes that have a rank;
    every commune is compared with it (for a commune failing gate A the flag says where its rank
    stands, which the explanation uses; eligibility needs both gates).
    """
    require_columns(index, INDEX_COLUMNS, "gate_b index")
    require_unique(index, ["nis_code", "year"], "gate_b index")
    require_columns(gate_a_result, ("nis_code", "year", "gate_a_pass"), "gate_b gate_a_result")
    frame = gate_a_result[["nis_code", "year", "gate_a_pass"]].merge(
        index[["nis_code", "year", "rank"]], on=["nis_code", "year"], how="left"
    )
    rank = pd.to_numeric(frame["rank"], errors="coerce").astype("float64")
    frame = frame.assign(rank=rank)
    cutoffs = []
    for year, group in frame.groupby("year", sort=True):
        pool = np.sort(group.loc[group["gate_a_pass"] & group["rank"].notna(), "rank"].to_numpy())
        places = rules.gate_b.places(len(pool))
        cutoffs.append(
            {
                "year": year,
                "gate_b_pool": len(pool),
                "gate_b_places": places,
                "gate_b_threshold": pool[places - 1] if places > 0 else np.nan,
            }
        )
    cutoff_columns = ["year", "gate_b_pool", "gate_b_places", "gate_b_threshold"]
    frame = frame.merge(pd.DataFrame(cutoffs, columns=cutoff_columns), on="year", how="left")
    passes = (frame["rank"] <= frame["gate_b_threshold"]).fillna(False)
    return pd.DataFrame(
        {
            "nis_code": frame["nis_code"],
            "year": frame["year"],
            "gate_b_value": frame["rank"],
            "gate_b_threshold": frame["gate_b_threshold"],
            "gate_b_pass": passes.astype(bool),
            "gate_b_gap": (frame["rank"] - frame["gate_b_threshold"]).where(~passes, 0.0),
            "gate_b_pool": frame["gate_b_pool"].astype("int64"),
            "gate_b_places": frame["gate_b_places"].astype("int64"),
        }
    ).sort_values(["year", "nis_code"], ignore_index=True)


def eligibility(indicators: pd.DataFrame, index: pd.DataFrame, rules: FundRules, *, reasons: bool = True) -> pd.DataFrame:
    """Both gates, ``eligible`` (A and B), the band factors (:func:`band_positions`), and the
    reason in English, French and Dutch (``reason_en``, ``reason_fr``, ``reason_nl``) with the
    distance to each threshold in the indicator's own units. ``reasons`` False leaves the
    reasons out (:func:`reason_columns` words them for such a frame)."""
    a = gate_a(indicators, rules)
    b = gate_b(index, a, rules)
    frame = a.merge(b, on=["nis_code", "year"], how="left", validate="one_to_one")
    frame["eligible"] = frame["gate_a_pass"] & frame["gate_b_pass"]
    frame = band_positions(frame, rules)
    if reasons:
        for column, texts in reason_columns(frame, rules).items():
            frame[column] = texts
    return frame


def reason_columns(frame: pd.DataFrame, rules: FundRules) -> dict[str, list[str]]:
    """The reason of each row of an eligibility frame, per language: ``reason_en``, ... -> texts."""
    texts = [explain(row, rules) for row in frame.to_dict("records")]
    return {f"reason_{lang}": [text[lang] for text in texts] for lang in LANGS}


def gate_a_position(
    value: np.ndarray, threshold: np.ndarray, count: np.ndarray, minimum: float, share: float
) -> np.ndarray:
    """Where a commune stands against gate A, in widths of its band: 0 at the threshold, 1 at the
    band's far edge (full share), negative outside. The band is ``share`` of the threshold for the
    rate and of the minimum for the count; the smaller position of the two counts, since both must
    hold. Works on arrays of any shape (the draws use communes x draws)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        width = share * np.abs(threshold)
        rate = np.where(width > 0, (value - threshold) / width, np.where(value >= threshold, np.inf, -np.inf))
        counted = (count - minimum) / (share * minimum) if minimum > 0 else np.full(np.shape(count), np.inf)
    return np.minimum(rate, counted)


def gate_b_position(rank: np.ndarray, cutoff: np.ndarray, ranks_in_band: int) -> np.ndarray:
    """Where a commune stands against gate B, in widths of its band: the first rank outside the
    cut-off is 0, the cut-off rank 1/ranks_in_band, and ``ranks_in_band`` ranks inside it 1."""
    return (cutoff + 1.0 - rank) / ranks_in_band


def band_factor(position: np.ndarray, passes: np.ndarray) -> np.ndarray:
    """The share of the full weight a gate leaves: 0 outside, rising linearly across the band."""
    return np.where(passes, np.clip(np.nan_to_num(position, nan=0.0), 0.0, 1.0), 0.0)


def band_positions(frame: pd.DataFrame, rules: FundRules) -> pd.DataFrame:
    """Each gate's position in its band, its factor, and the commune's ``band_factor`` (the
    product, METHOD.md 4); with rules without bands (method 1) a factor is 1 inside a gate and 0
    outside, and the positions are NULL. ``nearest_gate`` names the gate whose threshold is
    nearer in widths of its band (``nearest_gate_position`` is that gate's position: negative
    outside the gate, 0 to 1 inside its band, above 1 beyond it)."""
    out = frame.copy()
    pass_a = out["gate_a_pass"].to_numpy(dtype=bool)
    pass_b = out["gate_b_pass"].to_numpy(dtype=bool)
    if rules.bands is None:
        for column in ("gate_a_position", "gate_b_position", "nearest_gate_position"):
            out[column] = np.nan
        out["gate_a_band_factor"] = pass_a.astype(float)
        out["gate_b_band_factor"] = pass_b.astype(float)
        out["nearest_gate"] = None
    else:
        bands = rules.bands
        pos_a = gate_a_position(
            out["gate_a_value"].to_numpy(dtype="float64"),
            out["gate_a_threshold"].to_numpy(dtype="float64"),
            out["gate_a_numerator"].to_numpy(dtype="float64"),
            float(rules.gate_a.min_arrivals),
            float(bands.gate_a_share),
        )
        pos_b = gate_b_position(
            out["gate_b_value"].to_numpy(dtype="float64"),
            out["gate_b_threshold"].to_numpy(dtype="float64"),
            bands.gate_b_ranks,
        )
        out["gate_a_position"] = pos_a
        out["gate_b_position"] = pos_b
        out["gate_a_band_factor"] = band_factor(pos_a, pass_a)
        out["gate_b_band_factor"] = band_factor(pos_b, pass_b)
        distance_a = np.where(np.isnan(pos_a), np.inf, np.abs(pos_a))
        distance_b = np.where(np.isnan(pos_b), np.inf, np.abs(pos_b))
        known = np.isfinite(distance_a) | np.isfinite(distance_b)
        nearer_b = distance_b < distance_a
        out["nearest_gate"] = np.where(known, np.where(nearer_b, "gate_b", "gate_a"), None)
        out["nearest_gate_position"] = np.where(known, np.where(nearer_b, pos_b, pos_a), np.nan)
    out["band_factor"] = out["gate_a_band_factor"] * out["gate_b_band_factor"]
    return out


def eligibility_probability(
    draw_ranks: np.ndarray, gate_a_pass: np.ndarray | pd.Series | Sequence[bool], rules: FundRules
) -> np.ndarray:
    """Share of the index's uncertainty draws in which each commune is eligible.

    ``draw_ranks`` is communes x draws (index rank per draw, NaN where a draw gives no rank;
    ``uncertainty.YearDraws.ranks`` is draws x communes, so pass its transpose);
    ``gate_a_pass`` is per commune, in the same order. Gate A does not depend on the index, so
    only gate B is re-run in each draw: its cut-off moves with the draw's ranks.
    """
    ranks = np.asarray(draw_ranks, dtype="float64")
    passes_a = np.asarray(gate_a_pass)
    if ranks.ndim != 2:
        raise FundInputError(f"draw_ranks: expected a 2-D array communes x draws, found shape {ranks.shape}")
    if passes_a.shape != (ranks.shape[0],):
        raise FundInputError(
            f"gate_a_pass: expected one flag per commune ({ranks.shape[0]}), found shape {passes_a.shape}"
        )
    passes_a = passes_a.astype(bool)
    probability = np.zeros(ranks.shape[0])
    if not passes_a.any() or ranks.shape[1] == 0:
        return probability
    pool = ranks[passes_a]
    counts = np.sum(~np.isnan(pool), axis=0)
    places = np.array([rules.gate_b.places(int(c)) for c in counts])
    ordered = np.sort(pool, axis=0)  # NaN sorts last, after every ranked commune
    cutoff = np.where(
        places > 0, ordered[np.maximum(places - 1, 0), np.arange(pool.shape[1])], np.nan
    )
    with np.errstate(invalid="ignore"):
        probability[passes_a] = np.mean(pool <= cutoff[None, :], axis=1)
    return probability


def borderline(probability: np.ndarray, rules: FundRules) -> np.ndarray:
    """Communes whose eligibility is uncertain enough to be flagged in the release."""
    p = np.asarray(probability, dtype="float64")
    return (p > rules.probability.borderline_low) & (p < rules.probability.borderline_high)


def _rate_gap(
    out: pd.DataFrame, wn: float, wr: float, value: pd.Series, threshold: pd.Series
) -> pd.Series:
    """Rise in the commune's own rate that makes it pass, all other communes unchanged.

    The commune's arrivals are part of the national and regional sums, so its extra arrivals x
    raise the threshold too. Solving value(x) = threshold(x), linear in x:
        x / d = wn (N + x) / D + wr (R + x) / Rd,  with N, R the sums without the commune,
    gives x = (wn N / D + wr R / Rd) / (1 / d - wn / D - wr / Rd). The divisor is positive
    unless the commune is alone in its country (then its value is its threshold).
    """
    d = out["denominator"]
    others_n = out["national_numerator"] - out["numerator"]
    others_r = out["regional_numerator"] - out["numerator"]
    slope = 1.0 / d - wn / out["national_denominator"] - wr / out["regional_denominator"]
    reference = wn * others_n / out["national_denominator"] + wr * others_r / out["regional_denominator"]
    needed = reference / slope.where(slope > 1e-15)
    return (PER * needed / d - value).fillna(threshold - value)


def round_up(values: pd.Series | np.ndarray, decimals: int) -> np.ndarray:
    """Values rounded up at ``decimals`` (NaN kept); rounded first at 1e-6 of the step so that
    float noise (4.2000000001) does not become 4.3."""
    step = 10.0**decimals
    return np.ceil(np.round(np.asarray(values, dtype="float64") * step, 6)) / step


def _has_flag(flags: object, excluded: tuple[str, ...]) -> bool:
    """``flags`` may be text ("imputed,smoothed"), a list or array, or missing."""
    if isinstance(flags, str):
        items = {f.strip() for f in flags.replace(";", ",").replace("|", ",").split(",")}
    elif isinstance(flags, list | tuple | set | frozenset | np.ndarray):
        items = {str(f).strip() for f in flags}
    elif flags is None or pd.isna(flags):
        return False
    else:
        items = {str(flags).strip()}
    return any(flag in items for flag in excluded)
