"""The rules of the local cohesion fund, loaded from ``config/fund_rules.yml`` and validated.

METHOD.md section 4 is the specification. Every parameter of the fund lives in the rules file;
this module reads it into frozen pydantic models, shaped like the file, and refuses a file it
cannot apply, naming the key at fault. Money is held in whole euro cents and shares as exact decimals, so that the checks
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
from datetime import date
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import Field, PlainValidator, PrivateAttr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ingestion.typed_config import ConfigModel, first_problem, keyed, problem

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


# --- values: each check raises the sentence the user reads -------------------------------------


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise problem(f"expected a number, found {type(value).__name__} {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise problem(f"expected a number, found {value!r}") from None
    if not number.is_finite():
        raise problem(f"expected a finite number, found {value!r}")
    return number


def _share(value: Any) -> Decimal:
    share = _decimal(value)
    if not 0 <= share <= 1:
        raise problem(f"expected a share between 0 and 1, found {value!r}")
    return share


def _cents(value: Any) -> int:
    """Euros in the file, whole cents in the model."""
    euro = _decimal(value)
    if euro < 0:
        raise problem(f"negative amount {value!r} EUR; expected an amount >= 0")
    cents = euro * 100
    if cents != cents.to_integral_value():
        raise problem(f"{value!r} EUR has more than two decimals")
    return int(cents)


def _name(value: Any) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise problem(f"expected a snake_case name, found {value!r}")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise problem(f"expected true or false, found {value!r}")
    return value


def _whole(what: str, low: int) -> Any:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise problem(f"expected a whole number{what} >= {low}, found {value!r}")
        return value

    return PlainValidator(check)


def _one_of(allowed: tuple[str, ...]) -> Any:
    def check(value: Any) -> str:
        if value not in allowed:
            raise problem(f"expected one of {', '.join(allowed)}, found {value!r}")
        return str(value)

    return PlainValidator(check)


def _scope(value: Any) -> tuple[str, ...]:
    """``BE`` (the default) or a list of regions; a region listed twice, or BE mixed with regions,
    is an error."""
    if value == NATIONAL_SCOPE:
        return (NATIONAL_SCOPE,)
    items = value if isinstance(value, list) else [value]
    if not items or any(i not in REGION_SCOPES for i in items):
        raise problem(
            f"expected {NATIONAL_SCOPE} (the whole country) or a list of regions among {list(REGION_SCOPES)}, "
            f"found {value!r}"
        )
    if len(set(items)) != len(items):
        raise problem(f"a region is listed twice in {value!r}")
    if set(items) == set(REGION_SCOPES):
        return (NATIONAL_SCOPE,)
    return tuple(i for i in REGION_SCOPES if i in items)


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise problem(f"expected a date as YYYY-MM-DD, found {value!r}")


def _version(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise problem(f"expected a non-empty quoted string, found {value!r}")
    return value.strip()


def _by_year(value: Any) -> tuple[tuple[int, int], ...]:
    if not isinstance(value, Mapping):
        raise problem(f"expected a mapping, found {type(value).__name__} {value!r}")
    pairs = []
    for year, amount in value.items():
        if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2200:
            raise problem(f"expected a four-digit year as key, found {year!r}", at=str(year))
        try:
            pairs.append((year, _cents(amount)))
        except PydanticCustomError as exc:  # the amount's own sentence, at its year
            raise problem(str((exc.context or {})["problem"]), at=str(year)) from None
    return tuple(sorted(pairs))


def _top_fraction(value: Any) -> Fraction:
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError
        # A string such as "1/3" stays exact; a float goes through its shortest repr.
        fraction = Fraction(value) if isinstance(value, str) else Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        raise problem(f"expected a fraction such as \"1/3\" or 0.25, found {value!r}") from None
    if not 0 < fraction <= 1:
        raise problem(f"expected a fraction in (0, 1], found {value!r}")
    return fraction


def _flags(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(f, str) and f for f in value):
        raise problem(f"expected a list of flag names, found {value!r}")
    unknown = [f for f in value if f not in INDICATOR_FLAGS]
    if unknown:
        raise problem(
            f"unknown flag(s) {', '.join(map(repr, unknown))}; an indicator value can carry: {', '.join(INDICATOR_FLAGS)}"
        )
    return tuple(value)


def _needs_driver(value: Any) -> str:
    driver = _name(value)
    if driver not in NEEDS_DRIVERS:
        raise problem(f"unknown needs driver {driver!r}; expected one of: {', '.join(NEEDS_DRIVERS)}")
    return driver


Number = Annotated[Decimal, PlainValidator(_decimal)]
Share = Annotated[Decimal, PlainValidator(_share)]
Cents = Annotated[int, PlainValidator(_cents)]
Name = Annotated[str, PlainValidator(_name)]
Boolean = Annotated[bool, PlainValidator(_boolean)]


# --- the blocks of the file ---------------------------------------------------------------------


class Budget(ConfigModel):
    """Yearly budgets in euro cents; ``default_cents`` serves a year without its own line."""

    default_cents: Annotated[int | None, PlainValidator(lambda v: None if v is None else _cents(v))] = Field(alias="default")
    by_year_cents: Annotated[tuple[tuple[int, int], ...], PlainValidator(_by_year)] = Field(alias="by_year")
    _source: str | None = PrivateAttr(None)  # the rules file, named by cents_for's error

    @property
    def source(self) -> str | None:
        return self._source

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


class ReferenceWeights(ConfigModel):
    national: Share
    regional: Share

    @model_validator(mode="after")
    def _sum_to_1(self) -> ReferenceWeights:
        if self.national + self.regional != 1:
            total = self.national + self.regional
            raise problem(f"national {self.national} + regional {self.regional} = {total}, expected 1")
        return self


class GateARules(ConfigModel):
    """Gate A: recent international arrivals against a blended national/regional reference."""

    indicator: Name
    allow_proxy: Boolean
    proxy_indicator: Annotated[str | None, PlainValidator(lambda v: None if v is None else _name(v))]
    reference_weights: ReferenceWeights
    min_arrivals: Annotated[int, _whole("", 0)] = Field(alias="min_arrivals_3y")
    excluded_flags: Annotated[tuple[str, ...], PlainValidator(_flags)]

    @property
    def national_weight(self) -> Decimal:
        return self.reference_weights.national

    @property
    def regional_weight(self) -> Decimal:
        return self.reference_weights.regional

    @model_validator(mode="after")
    def _proxy_and_known_indicators(self, info: ValidationInfo) -> GateARules:
        proxy = self.proxy_indicator
        if self.allow_proxy and proxy is None:
            raise problem("allow_proxy is true but no proxy indicator is named", at="proxy_indicator")
        if proxy is not None and proxy == self.indicator:
            raise problem(f"the proxy must differ from the indicator {self.indicator!r}", at="proxy_indicator")
        known = (info.context or {}).get("known_indicators")
        if known is not None:
            listed = ", ".join(sorted(known)) or "none"
            if self.indicator not in known:
                raise problem(f"unknown indicator {self.indicator!r}; known: {listed}", at="indicator")
            if self.allow_proxy and proxy not in known:
                raise problem(f"unknown indicator {proxy!r}; known: {listed}", at="proxy_indicator")
        return self


class GateBRules(ConfigModel):
    """Gate B: index rank within the top fraction of the communes passing gate A."""

    top_fraction: Annotated[Fraction, PlainValidator(_top_fraction)]
    cutoff_rounding: Annotated[str, PlainValidator(lambda v: _rounding(v))]

    def places(self, count: int) -> int:
        """How many of ``count`` gate-A communes the top fraction holds (exact arithmetic)."""
        exact = self.top_fraction * count
        whole = exact.numerator // exact.denominator
        if self.cutoff_rounding == "ceil" and whole < exact:
            whole += 1
        return whole


def _rounding(value: Any) -> str:
    if value not in ROUNDINGS:
        raise problem(f"expected 'ceil' or 'floor', found {value!r}")
    return str(value)


class RankCoefficient(ConfigModel):
    first: Number
    last: Number

    @model_validator(mode="after")
    def _falling_with_rank(self) -> RankCoefficient:
        if self.last <= 0:
            raise problem(f"expected a number > 0, found {self.last}", at="last")
        if self.first < self.last:
            # A coefficient rising with rank would give less to more need.
            raise problem(f"{self.first} is below last {self.last}; the neediest commune must weigh at least as much", at="first")
        return self


class AllocationRules(ConfigModel):
    """Weights, cap and floor of the yearly allocation. A method-1 file names neither the weight
    nor the cap's base (see the module docstring)."""

    weight: Annotated[str, _one_of(WEIGHTS)] = METHOD1_WEIGHT
    need_intensity_divisor: Annotated[float, PlainValidator(lambda v: _positive(v))]
    rank_coefficient: RankCoefficient
    cap_share: Share = Field(alias="cap_share_of_budget")
    cap_of: Annotated[str, _one_of(CAP_BASES)] = METHOD1_CAP_BASE
    floor_cents: Cents = Field(alias="floor_euro")

    @model_validator(mode="before")
    @classmethod
    def _divisor_only_for_need_intensity(cls, data: Any) -> Any:
        # The score-based weight divides by nothing: its file's divisor, if any, is not read.
        if isinstance(data, Mapping) and not str(data.get("weight", METHOD1_WEIGHT)).startswith("need_intensity"):
            return {**data, "need_intensity_divisor": 50}
        return data

    @field_validator("cap_share")
    @classmethod
    def _cap_above_0(cls, value: Decimal) -> Decimal:
        if value == 0:
            raise problem("expected a share > 0, found 0")
        return value

    @property
    def coefficient_first(self) -> float:
        return float(self.rank_coefficient.first)

    @property
    def coefficient_last(self) -> float:
        return float(self.rank_coefficient.last)

    def cap_cents(self, budget_cents: int) -> int:
        """The per-commune cap for a budget, rounded down to the cent."""
        return int((Decimal(budget_cents) * self.cap_share).to_integral_value(ROUND_FLOOR))

    @property
    def uses_rank_coefficient(self) -> bool:
        return self.weight.endswith("rank_coefficient")

    @property
    def uses_need_intensity(self) -> bool:
        return self.weight.startswith("need_intensity")


def _positive(value: Any) -> float:
    number = _decimal(value)
    if number <= 0:
        raise problem(f"expected a number > 0, found {number}")
    return float(number)


class BandRules(ConfigModel):
    """Phase-in bands inside both gates (METHOD.md 4, "Bands instead of cliffs"): the share rises
    linearly from 0 at the threshold to full at the band's far edge; the two factors multiply.

    Gate A's band is ``gate_a_share`` of the threshold (for the rate) and of the minimum count (for
    the count; the smaller of the two positions counts). Gate B's is ``gate_b_ranks`` ranks: the
    cut-off rank gets 1/gate_b_ranks of the full share, and ``gate_b_ranks`` ranks inside it the full
    share."""

    gate_a_share: Share = Field(alias="gate_a_share_of_threshold")
    gate_b_ranks: Annotated[int, _whole(" of ranks", 1)]

    @field_validator("gate_a_share")
    @classmethod
    def _not_a_cliff(cls, value: Decimal) -> Decimal:
        if value == 0:
            raise problem("expected a share > 0 (a band of width 0 is a cliff)")
        return value


class BudgetLine(ConfigModel):
    name: Name
    national_share: Share
    needs_driver: Annotated[str, PlainValidator(_needs_driver)]


class HoldHarmless(ConfigModel):
    enabled: Boolean
    share_of_previous_grant: Share
    years: Annotated[int, _whole("", 1)]


class TransitionRules(ConfigModel):
    exit_after_years_outside: Annotated[int, _whole(" of years", 1)]
    exit_guarantee_share: Share
    hold_harmless: HoldHarmless


class ProbabilityRules(ConfigModel):
    borderline_low: Annotated[float, PlainValidator(lambda v: float(_share(v)))]
    borderline_high: Annotated[float, PlainValidator(lambda v: float(_share(v)))]
    arrival_noise: Annotated[str, _one_of(ARRIVAL_NOISES)] = "none"  # method 1: gate B only
    # Of the Poisson draws of gate A's counts; a key the file must name when there is noise.
    seed: Annotated[int | None, PlainValidator(lambda v: None if v is None else _whole("", 0).func(v))]

    @model_validator(mode="before")
    @classmethod
    def _seed_only_with_noise(cls, data: Any) -> Any:
        # Without noise there is nothing to draw: a seed, if written, is not read.
        if isinstance(data, Mapping) and data.get("arrival_noise", "none") == "none":
            return {**data, "seed": None}
        return data

    @model_validator(mode="after")
    def _bounds_and_seed(self) -> ProbabilityRules:
        if self.borderline_low >= self.borderline_high:
            raise problem(f"borderline_low {self.borderline_low:g} must be below borderline_high {self.borderline_high:g}")
        if self.arrival_noise != "none" and self.seed is None:
            raise problem("expected a whole number >= 0, found None", at="seed")
        return self


class FundRules(ConfigModel):
    version: Annotated[str, PlainValidator(_version)]
    adopted: Annotated[date, PlainValidator(_date)]
    scope: Annotated[tuple[str, ...], PlainValidator(_scope)] = (NATIONAL_SCOPE,)  # ("BE",) or regions
    budget: Budget
    gate_a: GateARules
    gate_b: GateBRules
    allocation: AllocationRules
    budget_lines: tuple[BudgetLine, ...]
    transitions: TransitionRules
    probability: ProbabilityRules = Field(alias="eligibility_probability")
    bands: BandRules | None = None  # None: method 1, a commune is in or out
    _source: str = PrivateAttr("<mapping>")

    @property
    def source(self) -> str:
        return self._source

    @property
    def method(self) -> int:
        """2 for rules with bands (2026.1 on), 1 for the rules they replace."""
        return 1 if self.bands is None else 2

    @field_validator("bands", mode="before")
    @classmethod
    def _bands_written_out(cls, value: Any) -> Any:
        # Leaving the key out is method 1; writing it with no value is a mistake, not a method.
        if value is None:
            raise problem("expected a mapping, found NoneType None")
        return value

    @field_validator("budget_lines", mode="before")
    @classmethod
    def _a_list_of_lines(cls, value: Any) -> Any:
        if not isinstance(value, list) or not value:
            raise problem(f"expected a non-empty list of lines, found {value!r}")
        return value

    @field_validator("budget_lines")
    @classmethod
    def _lines_share_the_whole(cls, lines: tuple[BudgetLine, ...]) -> tuple[BudgetLine, ...]:
        names = [line.name for line in lines]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise problem(f"line names must be unique; repeated: {', '.join(duplicates)}")
        total = sum((line.national_share for line in lines), Decimal(0))
        if total != 1:
            terms = " + ".join(f"{line.name} {line.national_share}" for line in lines)
            raise problem(f"national_share values sum to {total} ({terms}), expected 1")
        return lines

    @model_validator(mode="after")
    def _cap_at_least_the_floor(self) -> FundRules:
        allocation = self.allocation
        for year, cents in [*self.budget.by_year_cents, (None, self.budget.default_cents)]:
            if cents is None:
                continue
            cap = allocation.cap_cents(cents)
            if cap < allocation.floor_cents:
                label = "the default budget" if year is None else f"the {year} budget"
                raise problem(
                    f"cap of {_pct(allocation.cap_share)} of {label} ({_eur(cents)}) is "
                    f"{_eur(cap)}, below allocation.floor_euro {_eur(allocation.floor_cents)}",
                    at="allocation.cap_share_of_budget",
                )
        return self


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
    known = None if known_indicators is None else frozenset(known_indicators)
    try:
        rules = FundRules.model_validate(document, context={"known_indicators": known})
    except ValidationError as exc:
        key, text = keyed(first_problem(exc, FundRules), document, root="(top level)", unknown=_unknown_keys)
        raise FundRulesError(key, text, source=source) from None
    rules._source = source
    rules.budget._source = source
    return rules


def _unknown_keys(parent: str | None, unknown: list[str], expected: list[str]) -> tuple[str, str]:
    return parent or "(top level)", f"unknown key(s) {', '.join(unknown)}; expected: {', '.join(expected)}"


def _eur(cents: int) -> str:
    return f"{Decimal(cents) / 100:,.2f} EUR"


def _pct(share: Decimal) -> str:
    return f"{(share * 100).normalize():f} %"
