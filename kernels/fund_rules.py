"""The rules of the local cohesion fund, loaded from ``config/fund_rules.yml`` and validated.

METHOD.md section 4 is the specification. Every parameter of the fund lives in the rules file;
this module turns it into frozen dataclasses and refuses a file it cannot apply, naming the key
at fault. Money is held in whole euro cents and shares as exact decimals, so that the checks
("shares sum to 1", "cap at least the floor") are exact rather than float comparisons.

Two methods. Method 2 (rules 2026.1 on) states ``allocation.weight``, ``allocation.cap_of``,
``bands`` and ``eligibility_probability.arrival_noise``. A file without those keys is a method-1
file (rules up to 2025.2, kept in ``config/archive/``) and is read with method 1's meaning, so
that a method-1 release can be rebuilt from its own file: weight population x index score x rank
coefficient, the cap a share of what the formula shares out after the exit guarantees, no bands
(a commune is in or out), and a probability that re-runs gate B only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any, NoReturn

import yaml

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
ROUNDINGS: frozenset[str] = frozenset({"ceil", "floor"})
# What the allocation weight multiplies population by (METHOD.md 4, "Allocation"):
# need_intensity = fixed-goalpost score / need_intensity_divisor (method 2's default);
# need_intensity_x_rank_coefficient adds the DSU rank coefficient (an option);
# score_x_rank_coefficient is method 1 (index score x rank coefficient).
WEIGHTS: tuple[str, ...] = ("need_intensity", "need_intensity_x_rank_coefficient", "score_x_rank_coefficient")
METHOD1_WEIGHT = "score_x_rank_coefficient"
# What the cap is a share of: the whole year's budget (method 2), or what the formula shares out
# once the exit guarantees are paid (method 1).
CAP_BASES: tuple[str, ...] = ("whole_budget", "formula_pool")
METHOD1_CAP_BASE = "formula_pool"
# Noise on gate A's 3-year counts in the eligibility draws: poisson (method 2) or none (method 1,
# gate B only).
ARRIVAL_NOISES: tuple[str, ...] = ("poisson", "none")
# The fund's scope: the whole country, or one or more regions (ISO 3166-2:BE).
NATIONAL_SCOPE = "BE"
REGION_SCOPES: tuple[str, ...] = ("BE-VLG", "BE-WAL", "BE-BRU")
# What can share a budget line out: the columns of the needs profile (dbt model
# fund_needs_profile; value_labels labels each).
NEEDS_DRIVERS: tuple[str, ...] = ("children_3_17", "children_0_2", "population", "unemployed_adults")
# The flags an indicator value can carry (seed flag_definitions, scope indicator or both): what
# gate_a.excluded_flags may name.
INDICATOR_FLAGS: tuple[str, ...] = (
    "suppressed", "missing", "no_value", "not_applicable", "merged_not_additive", "insufficient_history",
    "zero_denominator", "estimated", "imputed", "published_rate", "proxy", "income_other_year", "reviewed_outlier",
)


class FundRulesError(ValueError):
    """The fund rules file is invalid, or cannot be applied to the data at hand."""

    def __init__(self, key: str, problem: str, *, source: str | None = None) -> None:
        self.key = key
        self.problem = problem
        self.source = source
        where = f"fund rules {source}" if source else "fund rules"
        super().__init__(f"{where}, key {key!r}: {problem}")


@dataclass(frozen=True)
class Budget:
    """Yearly budgets in euro cents; ``default_cents`` serves a year without its own line."""

    default_cents: int | None
    by_year_cents: tuple[tuple[int, int], ...]
    source: str | None = None

    def cents_for(self, year: int) -> int:
        for budget_year, cents in self.by_year_cents:
            if budget_year == year:
                return cents
        if self.default_cents is None:
            years = ", ".join(str(y) for y, _ in self.by_year_cents) or "none"
            raise FundRulesError(
                f"budget.by_year.{year}",
                f"no budget for {year} and budget.default is null (years with a budget: {years}); "
                f"add budget.by_year.{year} or a budget.default",
                source=self.source,
            )
        return self.default_cents


@dataclass(frozen=True)
class GateARules:
    """Gate A: recent international arrivals against a blended national/regional reference."""

    indicator: str
    allow_proxy: bool
    proxy_indicator: str | None
    national_weight: Decimal
    regional_weight: Decimal
    min_arrivals: int
    excluded_flags: tuple[str, ...]


@dataclass(frozen=True)
class GateBRules:
    """Gate B: index rank within the top fraction of the communes passing gate A."""

    top_fraction: Fraction
    cutoff_rounding: str

    def places(self, count: int) -> int:
        """How many of ``count`` gate-A communes the top fraction holds (exact arithmetic)."""
        exact = self.top_fraction * count
        whole = exact.numerator // exact.denominator
        if self.cutoff_rounding == "ceil" and whole < exact:
            whole += 1
        return whole


@dataclass(frozen=True)
class AllocationRules:
    """Weights, cap and floor of the yearly allocation."""

    coefficient_first: float
    coefficient_last: float
    cap_share: Decimal
    floor_cents: int
    weight: str = METHOD1_WEIGHT  # one of WEIGHTS
    need_intensity_divisor: float = 50.0
    cap_of: str = METHOD1_CAP_BASE  # one of CAP_BASES

    def cap_cents(self, budget_cents: int) -> int:
        """The per-commune cap for a budget, rounded down to the cent."""
        return int((Decimal(budget_cents) * self.cap_share).to_integral_value(ROUND_FLOOR))

    @property
    def uses_rank_coefficient(self) -> bool:
        return self.weight.endswith("rank_coefficient")

    @property
    def uses_need_intensity(self) -> bool:
        return self.weight.startswith("need_intensity")


@dataclass(frozen=True)
class BandRules:
    """Phase-in bands inside both gates (METHOD.md 4, "Bands instead of cliffs"): the share rises
    linearly from 0 at the threshold to full at the band's far edge; the two factors multiply.

    Gate A's band is ``gate_a_share`` of the threshold (for the rate) and of the minimum count (for
    the count; the smaller of the two positions counts). Gate B's is ``gate_b_ranks`` ranks: the
    cut-off rank gets 1/gate_b_ranks of the full share, and ``gate_b_ranks`` ranks inside it the full
    share."""

    gate_a_share: Decimal
    gate_b_ranks: int


@dataclass(frozen=True)
class BudgetLine:
    name: str
    national_share: Decimal
    needs_driver: str


@dataclass(frozen=True)
class HoldHarmless:
    enabled: bool
    share_of_previous_grant: Decimal
    years: int


@dataclass(frozen=True)
class TransitionRules:
    exit_after_years_outside: int
    exit_guarantee_share: Decimal
    hold_harmless: HoldHarmless


@dataclass(frozen=True)
class ProbabilityRules:
    borderline_low: float
    borderline_high: float
    arrival_noise: str = "none"  # one of ARRIVAL_NOISES
    seed: int | None = None  # of the Poisson draws of gate A's counts


@dataclass(frozen=True)
class FundRules:
    version: str
    adopted: date
    scope: tuple[str, ...]  # ("BE",) or regions among REGION_SCOPES
    budget: Budget
    gate_a: GateARules
    gate_b: GateBRules
    allocation: AllocationRules
    budget_lines: tuple[BudgetLine, ...]
    transitions: TransitionRules
    probability: ProbabilityRules
    source: str
    bands: BandRules | None = None  # None: method 1, a commune is in or out

    @property
    def method(self) -> int:
        """2 for rules with bands (2026.1 on), 1 for the rules they replace."""
        return 1 if self.bands is None else 2


def load_fund_rules(
    path: str | Path, known_indicators: Iterable[str] | None = None
) -> FundRules:
    """Read and validate a rules file. ``known_indicators``, when given, is the set of indicator
    names the index produces; gate A must then name one of them."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FundRulesError("(file)", "file not found", source=source) from None
    except IsADirectoryError:
        raise FundRulesError("(file)", "is a folder; give the rules file itself (a .yml file)", source=source) from None
    except UnicodeDecodeError as exc:
        raise FundRulesError("(file)", f"not UTF-8 text (byte {exc.start}); save it as UTF-8", source=source) from None
    except OSError as exc:
        raise FundRulesError("(file)", f"cannot be read: {exc.strerror}", source=source) from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FundRulesError("(file)", f"not valid YAML: {_yaml_problem(exc)}", source=source) from None
    return parse_fund_rules(document, source=source, known_indicators=known_indicators)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """The parser's complaint with the line and column in the file (PyYAML's own text names an
    anonymous "<unicode string>")."""
    mark = getattr(exc, "problem_mark", None)
    problem = " ".join(str(part) for part in (getattr(exc, "context", None), getattr(exc, "problem", None)) if part)
    if mark is None:
        return problem or str(exc).splitlines()[0]
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem or 'cannot be parsed'}"


def parse_fund_rules(
    document: Any,
    *,
    source: str = "<mapping>",
    known_indicators: Iterable[str] | None = None,
) -> FundRules:
    """Validate an already-parsed rules mapping (what-if runs edit a copy of the file's)."""
    r = _Reader(source)
    top = r.mapping(document, "(top level)")
    r.only_keys(
        top,
        "(top level)",
        {
            "version",
            "adopted",
            "scope",
            "budget",
            "gate_a",
            "gate_b",
            "allocation",
            "budget_lines",
            "transitions",
            "eligibility_probability",
            "bands",
        },
    )
    version = r.get(top, "version", "")
    if not isinstance(version, str) or not version.strip():
        r.fail("version", f"expected a non-empty quoted string, found {version!r}")
    budget = _budget(r, r.get(top, "budget", ""))
    allocation = _allocation(r, r.get(top, "allocation", ""))
    for year, cents in [*budget.by_year_cents, (None, budget.default_cents)]:
        if cents is None:
            continue
        cap = allocation.cap_cents(cents)
        if cap < allocation.floor_cents:
            label = "the default budget" if year is None else f"the {year} budget"
            r.fail(
                "allocation.cap_share_of_budget",
                f"cap of {_pct(allocation.cap_share)} of {label} ({_eur(cents)}) is "
                f"{_eur(cap)}, below allocation.floor_euro {_eur(allocation.floor_cents)}",
            )
    known = None if known_indicators is None else frozenset(known_indicators)
    return FundRules(
        version=version.strip(),
        adopted=_date(r, r.get(top, "adopted", ""), "adopted"),
        scope=_scope(r, top.get("scope", NATIONAL_SCOPE)),
        budget=budget,
        gate_a=_gate_a(r, r.get(top, "gate_a", ""), known),
        gate_b=_gate_b(r, r.get(top, "gate_b", "")),
        allocation=allocation,
        budget_lines=_budget_lines(r, r.get(top, "budget_lines", "")),
        transitions=_transitions(r, r.get(top, "transitions", "")),
        probability=_probability(r, r.get(top, "eligibility_probability", "")),
        source=source,
        bands=_bands(r, top["bands"]) if "bands" in top else None,
    )


# --- sections -------------------------------------------------------------------------------


def _scope(r: _Reader, node: Any) -> tuple[str, ...]:
    """``BE`` (the default) or a list of regions; a region listed twice, or BE mixed with regions,
    is an error."""
    if node == NATIONAL_SCOPE:
        return (NATIONAL_SCOPE,)
    items = node if isinstance(node, list) else [node]
    if not items or any(i not in REGION_SCOPES for i in items):
        r.fail(
            "scope",
            f"expected {NATIONAL_SCOPE} (the whole country) or a list of regions among {list(REGION_SCOPES)}, "
            f"found {node!r}",
        )
    if len(set(items)) != len(items):
        r.fail("scope", f"a region is listed twice in {node!r}")
    if set(items) == set(REGION_SCOPES):
        return (NATIONAL_SCOPE,)
    return tuple(i for i in REGION_SCOPES if i in items)


def _budget(r: _Reader, node: Any) -> Budget:
    m = r.mapping(node, "budget")
    r.only_keys(m, "budget", {"default", "by_year"})
    default = r.get(m, "default", "budget")
    default_cents = None if default is None else r.cents(default, "budget.default")
    by_year = r.mapping(r.get(m, "by_year", "budget"), "budget.by_year")
    pairs = []
    for year, amount in by_year.items():
        key = f"budget.by_year.{year}"
        if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2200:
            r.fail(key, f"expected a four-digit year as key, found {year!r}")
        pairs.append((year, r.cents(amount, key)))
    return Budget(default_cents=default_cents, by_year_cents=tuple(sorted(pairs)), source=r.source)


def _gate_a(r: _Reader, node: Any, known: frozenset[str] | None) -> GateARules:
    m = r.mapping(node, "gate_a")
    r.only_keys(
        m,
        "gate_a",
        {
            "indicator",
            "allow_proxy",
            "proxy_indicator",
            "reference_weights",
            "min_arrivals_3y",
            "excluded_flags",
        },
    )
    indicator = r.name(r.get(m, "indicator", "gate_a"), "gate_a.indicator")
    allow_proxy = r.boolean(r.get(m, "allow_proxy", "gate_a"), "gate_a.allow_proxy")
    proxy = r.get(m, "proxy_indicator", "gate_a")
    if proxy is not None:
        proxy = r.name(proxy, "gate_a.proxy_indicator")
    if allow_proxy and proxy is None:
        r.fail("gate_a.proxy_indicator", "allow_proxy is true but no proxy indicator is named")
    if proxy is not None and proxy == indicator:
        r.fail("gate_a.proxy_indicator", f"the proxy must differ from the indicator {indicator!r}")
    if known is not None:
        listed = ", ".join(sorted(known)) or "none"
        if indicator not in known:
            r.fail("gate_a.indicator", f"unknown indicator {indicator!r}; known: {listed}")
        if allow_proxy and proxy not in known:
            r.fail("gate_a.proxy_indicator", f"unknown indicator {proxy!r}; known: {listed}")
    weights = r.mapping(r.get(m, "reference_weights", "gate_a"), "gate_a.reference_weights")
    r.only_keys(weights, "gate_a.reference_weights", {"national", "regional"})
    national = r.share(
        r.get(weights, "national", "gate_a.reference_weights"),
        "gate_a.reference_weights.national",
    )
    regional = r.share(
        r.get(weights, "regional", "gate_a.reference_weights"),
        "gate_a.reference_weights.regional",
    )
    if national + regional != 1:
        r.fail(
            "gate_a.reference_weights",
            f"national {national} + regional {regional} = {national + regional}, expected 1",
        )
    minimum = r.get(m, "min_arrivals_3y", "gate_a")
    if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 0:
        r.fail("gate_a.min_arrivals_3y", f"expected a whole number >= 0, found {minimum!r}")
    flags = r.get(m, "excluded_flags", "gate_a")
    if not isinstance(flags, list) or not all(isinstance(f, str) and f for f in flags):
        r.fail("gate_a.excluded_flags", f"expected a list of flag names, found {flags!r}")
    unknown = [f for f in flags if f not in INDICATOR_FLAGS]
    if unknown:
        r.fail(
            "gate_a.excluded_flags",
            f"unknown flag(s) {', '.join(map(repr, unknown))}; an indicator value can carry: {', '.join(INDICATOR_FLAGS)}",
        )
    return GateARules(
        indicator=indicator,
        allow_proxy=allow_proxy,
        proxy_indicator=proxy,
        national_weight=national,
        regional_weight=regional,
        min_arrivals=minimum,
        excluded_flags=tuple(flags),
    )


def _gate_b(r: _Reader, node: Any) -> GateBRules:
    m = r.mapping(node, "gate_b")
    r.only_keys(m, "gate_b", {"top_fraction", "cutoff_rounding"})
    raw = r.get(m, "top_fraction", "gate_b")
    try:
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise ValueError
        # A string such as "1/3" stays exact; a float goes through its shortest repr.
        fraction = Fraction(raw) if isinstance(raw, str) else Fraction(str(raw))
    except (ValueError, ZeroDivisionError):
        r.fail("gate_b.top_fraction", f"expected a fraction such as \"1/3\" or 0.25, found {raw!r}")
    if not 0 < fraction <= 1:
        r.fail("gate_b.top_fraction", f"expected a fraction in (0, 1], found {raw!r}")
    rounding = r.get(m, "cutoff_rounding", "gate_b")
    if rounding not in ROUNDINGS:
        r.fail("gate_b.cutoff_rounding", f"expected 'ceil' or 'floor', found {rounding!r}")
    return GateBRules(top_fraction=fraction, cutoff_rounding=rounding)


def _allocation(r: _Reader, node: Any) -> AllocationRules:
    m = r.mapping(node, "allocation")
    r.only_keys(
        m,
        "allocation",
        {"weight", "need_intensity_divisor", "rank_coefficient", "cap_share_of_budget", "cap_of", "floor_euro"},
    )
    # A method-1 file names neither the weight nor the cap's base (see the module docstring).
    weight = m.get("weight", METHOD1_WEIGHT)
    if weight not in WEIGHTS:
        r.fail("allocation.weight", f"expected one of {', '.join(WEIGHTS)}, found {weight!r}")
    cap_of = m.get("cap_of", METHOD1_CAP_BASE)
    if cap_of not in CAP_BASES:
        r.fail("allocation.cap_of", f"expected one of {', '.join(CAP_BASES)}, found {cap_of!r}")
    divisor = Decimal(50)
    if weight.startswith("need_intensity"):
        divisor = r.number(r.get(m, "need_intensity_divisor", "allocation"), "allocation.need_intensity_divisor")
        if divisor <= 0:
            r.fail("allocation.need_intensity_divisor", f"expected a number > 0, found {divisor}")
    coef = r.mapping(r.get(m, "rank_coefficient", "allocation"), "allocation.rank_coefficient")
    r.only_keys(coef, "allocation.rank_coefficient", {"first", "last"})
    key = "allocation.rank_coefficient"
    first = r.number(r.get(coef, "first", key), f"{key}.first")
    last = r.number(r.get(coef, "last", key), f"{key}.last")
    if last <= 0:
        r.fail("allocation.rank_coefficient.last", f"expected a number > 0, found {last}")
    if first < last:
        # A coefficient rising with rank would give less to more need.
        r.fail(
            "allocation.rank_coefficient.first",
            f"{first} is below last {last}; the neediest commune must weigh at least as much",
        )
    cap = r.share(r.get(m, "cap_share_of_budget", "allocation"), "allocation.cap_share_of_budget")
    if cap == 0:
        r.fail("allocation.cap_share_of_budget", "expected a share > 0, found 0")
    floor = r.cents(r.get(m, "floor_euro", "allocation"), "allocation.floor_euro")
    return AllocationRules(
        coefficient_first=float(first),
        coefficient_last=float(last),
        cap_share=cap,
        floor_cents=floor,
        weight=weight,
        need_intensity_divisor=float(divisor),
        cap_of=cap_of,
    )


def _bands(r: _Reader, node: Any) -> BandRules:
    m = r.mapping(node, "bands")
    r.only_keys(m, "bands", {"gate_a_share_of_threshold", "gate_b_ranks"})
    share = r.share(r.get(m, "gate_a_share_of_threshold", "bands"), "bands.gate_a_share_of_threshold")
    if share == 0:
        r.fail("bands.gate_a_share_of_threshold", "expected a share > 0 (a band of width 0 is a cliff)")
    ranks = r.get(m, "gate_b_ranks", "bands")
    if isinstance(ranks, bool) or not isinstance(ranks, int) or ranks < 1:
        r.fail("bands.gate_b_ranks", f"expected a whole number of ranks >= 1, found {ranks!r}")
    return BandRules(gate_a_share=share, gate_b_ranks=ranks)


def _budget_lines(r: _Reader, node: Any) -> tuple[BudgetLine, ...]:
    if not isinstance(node, list) or not node:
        r.fail("budget_lines", f"expected a non-empty list of lines, found {node!r}")
    lines = []
    for i, item in enumerate(node):
        key = f"budget_lines[{i}]"
        m = r.mapping(item, key)
        r.only_keys(m, key, {"name", "national_share", "needs_driver"})
        name = r.name(r.get(m, "name", key), f"{key}.name")
        lines.append(
            BudgetLine(
                name=name,
                national_share=r.share(r.get(m, "national_share", key), f"{key}.national_share"),
                needs_driver=_needs_driver(r, r.get(m, "needs_driver", key), f"{key}.needs_driver"),
            )
        )
    names = [line.name for line in lines]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        r.fail("budget_lines", f"line names must be unique; repeated: {', '.join(duplicates)}")
    total = sum((line.national_share for line in lines), Decimal(0))
    if total != 1:
        terms = " + ".join(f"{line.name} {line.national_share}" for line in lines)
        r.fail("budget_lines", f"national_share values sum to {total} ({terms}), expected 1")
    return tuple(lines)


def _needs_driver(r: _Reader, value: Any, key: str) -> str:
    driver = r.name(value, key)
    if driver not in NEEDS_DRIVERS:
        r.fail(key, f"unknown needs driver {driver!r}; expected one of: {', '.join(NEEDS_DRIVERS)}")
    return driver


def _transitions(r: _Reader, node: Any) -> TransitionRules:
    m = r.mapping(node, "transitions")
    r.only_keys(m, "transitions", {"exit_after_years_outside", "exit_guarantee_share", "hold_harmless"})
    years_outside = r.get(m, "exit_after_years_outside", "transitions")
    if isinstance(years_outside, bool) or not isinstance(years_outside, int) or years_outside < 1:
        r.fail(
            "transitions.exit_after_years_outside",
            f"expected a whole number of years >= 1, found {years_outside!r}",
        )
    hh = r.mapping(r.get(m, "hold_harmless", "transitions"), "transitions.hold_harmless")
    r.only_keys(hh, "transitions.hold_harmless", {"enabled", "share_of_previous_grant", "years"})
    hh_years = r.get(hh, "years", "transitions.hold_harmless")
    if isinstance(hh_years, bool) or not isinstance(hh_years, int) or hh_years < 1:
        r.fail("transitions.hold_harmless.years", f"expected a whole number >= 1, found {hh_years!r}")
    return TransitionRules(
        exit_after_years_outside=years_outside,
        exit_guarantee_share=r.share(
            r.get(m, "exit_guarantee_share", "transitions"), "transitions.exit_guarantee_share"
        ),
        hold_harmless=HoldHarmless(
            enabled=r.boolean(
                r.get(hh, "enabled", "transitions.hold_harmless"), "transitions.hold_harmless.enabled"
            ),
            share_of_previous_grant=r.share(
                r.get(hh, "share_of_previous_grant", "transitions.hold_harmless"),
                "transitions.hold_harmless.share_of_previous_grant",
            ),
            years=hh_years,
        ),
    )


def _probability(r: _Reader, node: Any) -> ProbabilityRules:
    m = r.mapping(node, "eligibility_probability")
    r.only_keys(m, "eligibility_probability", {"borderline_low", "borderline_high", "arrival_noise", "seed"})
    key = "eligibility_probability"
    low = r.share(r.get(m, "borderline_low", key), f"{key}.borderline_low")
    high = r.share(r.get(m, "borderline_high", key), f"{key}.borderline_high")
    if low >= high:
        r.fail("eligibility_probability", f"borderline_low {low} must be below borderline_high {high}")
    noise = m.get("arrival_noise", "none")  # method 1: gate B only
    if noise not in ARRIVAL_NOISES:
        r.fail(f"{key}.arrival_noise", f"expected one of {', '.join(ARRIVAL_NOISES)}, found {noise!r}")
    seed = None
    if noise != "none":
        seed = r.get(m, "seed", key)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            r.fail(f"{key}.seed", f"expected a whole number >= 0, found {seed!r}")
    return ProbabilityRules(borderline_low=float(low), borderline_high=float(high), arrival_noise=noise, seed=seed)


def _date(r: _Reader, value: Any, key: str) -> date:  # noqa: RET503 (r.fail raises)
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    r.fail(key, f"expected a date as YYYY-MM-DD, found {value!r}")


# --- reading helpers ------------------------------------------------------------------------


class _Reader:
    """Typed access to the parsed YAML, raising FundRulesError with the dotted key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> NoReturn:
        raise FundRulesError(key, problem, source=self.source)

    def mapping(self, node: Any, key: str) -> Mapping[Any, Any]:
        if not isinstance(node, Mapping):
            self.fail(key, f"expected a mapping, found {type(node).__name__} {node!r}")
        return node

    def get(self, m: Mapping[Any, Any], name: str, parent: str) -> Any:
        if name not in m:
            key = name if parent in ("", "(top level)") else f"{parent}.{name}"
            self.fail(key, "missing key")
        return m[name]

    def only_keys(self, m: Mapping[Any, Any], key: str, allowed: set[str]) -> None:
        extra = sorted(str(k) for k in m if k not in allowed)
        if extra:
            self.fail(key, f"unknown key(s) {', '.join(extra)}; expected: {', '.join(sorted(allowed))}")

    def name(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not _NAME.match(value):
            self.fail(key, f"expected a snake_case name, found {value!r}")
        return value

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            self.fail(key, f"expected true or false, found {value!r}")
        return value

    def number(self, value: Any, key: str) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.fail(key, f"expected a number, found {type(value).__name__} {value!r}")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            self.fail(key, f"expected a number, found {value!r}")
        if not number.is_finite():
            self.fail(key, f"expected a finite number, found {value!r}")
        return number

    def share(self, value: Any, key: str) -> Decimal:
        share = self.number(value, key)
        if not 0 <= share <= 1:
            self.fail(key, f"expected a share between 0 and 1, found {value!r}")
        return share

    def cents(self, value: Any, key: str) -> int:
        euro = self.number(value, key)
        if euro < 0:
            self.fail(key, f"negative amount {value!r} EUR; expected an amount >= 0")
        cents = euro * 100
        if cents != cents.to_integral_value():
            self.fail(key, f"{value!r} EUR has more than two decimals")
        return int(cents)


def _eur(cents: int) -> str:
    return f"{Decimal(cents) / 100:,.2f} EUR"


def _pct(share: Decimal) -> str:
    return f"{(share * 100).normalize():f} %"
