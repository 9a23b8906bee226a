"""The methodology file (config/methodology.yml), read into frozen pydantic models and validated.

Every parameter of the index comes from this file (../shared/METHOD.md, section 3). Validation
happens once, on load, so that the kernels can trust what they receive; every error names the
file and the dotted key, and says what was expected and what was found.

Two layers: private models shaped like the file (``_MethodologyFile`` and the blocks it holds),
which validate, and the public models the kernels read (:class:`Methodology`, :class:`Indicator`,
:class:`Domain`, :class:`Choice`, :class:`Uncertainty`), built from them. A block whose shape is
the same in both (editions, screening, outliers, ...) is one model.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import PlainValidator, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ingestion.typed_config import ConfigModel, first_problem, keyed, problem

NORMALISATIONS: tuple[str, ...] = ("rank_normal", "min_max", "z_score")
AGGREGATIONS: tuple[str, ...] = ("exponential", "arithmetic", "geometric")
LANGUAGES: tuple[str, ...] = ("en", "fr", "nl")
# The national scope and Belgium's three regions (ISO 3166-2:BE), the scopes of index editions.
NATIONAL_SCOPE = "BE"
REGION_SCOPES: tuple[str, ...] = ("BE-VLG", "BE-WAL", "BE-BRU")
CHOICE_NAMES: tuple[str, ...] = (
    "outlier_treatment",
    "winsorising_limit",
    "smoothing",
    "normalisation",
    "aggregation",
    "leave_domain_out",
)
SAMPLING_MODELS: tuple[str, ...] = ("binomial", "poisson", "none")
SMOOTHING_PRIORS: tuple[str, ...] = ("arrondissement", "arrondissement_median")
WEIGHT_TOTAL = 100.0
_WEIGHT_TOLERANCE = 1e-6


class MethodologyError(ValueError):
    """The methodology file is invalid; ``key`` is the dotted path of the offending entry."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        super().__init__(f"{source}: key {key!r}: {problem}")


# --- values: each check raises the sentence the user reads -------------------------------------


def _number(
    value: Any, low: float | None = None, high: float | None = None, *, low_open: bool = False, high_open: bool = False
) -> float:
    number: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:  # "2/3" is clearer than 0.6666666667 in a file a committee reads
            number = float(Fraction(value.strip()))
        except (ValueError, ZeroDivisionError):
            number = None
    if number is None or not math.isfinite(number):
        raise problem(f"expected a number, found {value!r}")
    if low is not None and (number < low or (low_open and number == low)):
        raise problem(f"expected a number {'>' if low_open else '>='} {low:g}, found {value!r}")
    if high is not None and (number > high or (high_open and number == high)):
        raise problem(f"expected a number {'<' if high_open else '<='} {high:g}, found {value!r}")
    return number


def _whole(value: Any, low: int | None = None, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise problem(f"expected a whole number, found {value!r}")
    if low is not None and value < low:
        raise problem(f"expected a whole number >= {low}, found {value!r}")
    if high is not None and value > high:
        raise problem(f"expected a whole number <= {high}, found {value!r}")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise problem(f"expected true or false, found {value!r}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool) or str(value).strip() == "":
        raise problem(f"expected a non-empty text, found {value!r}")
    return str(value)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise problem(f"expected a date YYYY-MM-DD, found {value!r}") from None


def _direction(value: Any) -> int:
    if isinstance(value, bool) or value not in (1, -1):
        raise problem(f"unknown direction {value!r}; expected 1 (more need) or -1 (less need)")
    return int(value)


def Number(  # noqa: N802 (read as a type in the models)
    low: float | None = None, high: float | None = None, *, low_open: bool = False, high_open: bool = False
) -> Any:
    return Annotated[float, PlainValidator(lambda v: _number(v, low, high, low_open=low_open, high_open=high_open))]


def Whole(low: int | None = None, high: int | None = None) -> Any:  # noqa: N802
    return Annotated[int, PlainValidator(lambda v: _whole(v, low, high))]


def OneOf(allowed: tuple[str, ...]) -> Any:  # noqa: N802
    def check(value: Any) -> str:
        if value not in allowed:
            raise problem(f"unknown value {value!r}; expected one of {list(allowed)}")
        return str(value)

    return Annotated[str, PlainValidator(check)]


def SubsetOf(allowed: tuple[str, ...]) -> Any:  # noqa: N802
    """A list of distinct values among ``allowed`` (possibly empty), in the file's order."""

    def check(value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or any(v not in allowed for v in value):
            raise problem(f"expected a list of values among {list(allowed)}, found {value!r}")
        if len(set(value)) != len(value):
            raise problem(f"a value is listed twice in {value}")
        return tuple(str(v) for v in value)

    return Annotated[tuple[str, ...], PlainValidator(check)]


Boolean = Annotated[bool, PlainValidator(_boolean)]
Text = Annotated[str, PlainValidator(_text)]
Date = Annotated[dt.date, PlainValidator(_date)]
Direction = Annotated[int, PlainValidator(_direction)]


def _regions(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or any(s not in REGION_SCOPES for s in value):
        raise problem(f"expected a list of regions among {list(REGION_SCOPES)} (possibly empty), found {value!r}")
    if len(set(value)) != len(value):
        raise problem(f"a region is listed twice in {value}")
    return tuple(str(s) for s in value)


def _goalpost_set(value: Any) -> tuple[str, ...] | None:
    """'edition' (whatever each edition shares with the base year) or a list of indicators; that
    they are declared is checked against the file's indicators (``_MethodologyFile``)."""
    if value == "edition":
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise problem(f"expected 'edition' or a list of declared indicators, found {value!r}")
    if not value:
        raise problem("expected at least one indicator, found none")
    if len(set(value)) != len(value):
        raise problem(f"a value is listed twice in {value}")
    return tuple(value)


# --- blocks read as they are written -----------------------------------------------------------


class Label(ConfigModel):
    # An empty text is "not given": the block's id stands in (filled by ``or_id``).
    en: Text = ""
    fr: Text = ""
    nl: Text = ""

    def get(self, lang: str) -> str:
        return {"en": self.en, "fr": self.fr, "nl": self.nl}[lang]

    def or_id(self, fallback: str) -> Label:
        return self.model_copy(update={lang: fallback for lang in LANGUAGES if not self.get(lang)})


class Screening(ConfigModel):
    min_indicator_coverage: Number(0, 1)
    min_commune_indicator_share: Number(0, 1)


class Imputation(ConfigModel):
    method: OneOf(("arrondissement_median",))
    fallback: OneOf(("national_median", "none"))


class Outliers(ConfigModel):
    enabled: Boolean
    # The normalisations the treatment protects: it runs (and the normalisation reads the treated
    # values) only before these. The rank-based normal transform needs none (METHOD.md 3.5).
    normalisations: SubsetOf(NORMALISATIONS)
    skewness_threshold: Number(0, low_open=True)
    kurtosis_threshold: Number(0, low_open=True)
    max_winsorised_points: Whole(0, 100)
    fallback: OneOf(("log_transform", "none"))
    log_offset_share: Number(0, 1, low_open=True)


class Smoothing(ConfigModel):
    enabled: Boolean
    method: OneOf(("empirical_bayes_logit",))
    # "arrondissement": the arrondissement's pooled rate (method 1; its cities dominate it);
    # "arrondissement_median": the median rate of the arrondissement's communes (method 2).
    prior: OneOf(SMOOTHING_PRIORS)
    min_population: Number(0)  # only communes below it are smoothed; 0 = every commune (by precision)


class FixedGoalposts(ConfigModel):
    """The fixed-goalpost score (METHOD.md 3.8): one indicator set per methodology version, or
    ``None`` for whatever each edition shares with the base year (method 1)."""

    indicators: Annotated[tuple[str, ...] | None, PlainValidator(_goalpost_set)]
    money_relative_to_national_median: Boolean


class Editions(ConfigModel):
    """Which index editions a release holds (METHOD.md 3.1): edition Y takes each indicator's
    latest reference period <= Y no older than ``max_lag_years``; an indicator enters the national
    index only where it covers at least ``min_region_coverage`` of every region's communes (else
    it can feed a regional supplement of ``regional_supplements``); an edition exists only with at
    least ``min_domains`` domains carrying ``min_weight_share`` of the weight."""

    max_lag_years: Whole(0, 50)
    min_region_coverage: Number(0, 1, low_open=True)
    min_domains: Whole(1)  # at most the number of domains (_MethodologyFile)
    min_weight_share: Number(0, 1)
    regional_supplements: Annotated[tuple[str, ...], PlainValidator(_regions)]


class Sensitivity(ConfigModel):
    """One-at-a-time leave-outs and Sobol indices of the method's choices (METHOD.md 3.11)."""

    leave_out: SubsetOf(("domains", "indicators"))
    sobol_samples: Whole(0, 100_000)  # base sample size N of the Saltelli design (N x (d + 2) evaluations)
    sobol_bootstrap: Whole(0, 10_000)  # resamples of the N rows for the 5th and 95th percentiles


class Audit(ConfigModel):
    """Thresholds of the coherence audit (METHOD.md 3.9)."""

    min_cronbach_alpha: Number(-1, 1)
    max_indicator_correlation: Number(0, 1)


with warnings.catch_warnings():
    # pydantic notes that the field "register" hides ABCMeta.register on the class; instances read
    # the field, and the name is the file's.
    warnings.filterwarnings("ignore", message='Field name "register"', category=UserWarning)

    class _IndicatorEntry(ConfigModel):
        direction: Direction  # +1: a higher value means more need; -1: less need
        rate: Boolean  # a proportion numerator / denominator, eligible for smoothing
        # A share counted over the whole register (residents by nationality or age): no sampling
        # error to shrink, so never smoothed (METHOD.md 3.4).
        register: Boolean
        # A money amount: compared across years relative to the national median of its year (3.3).
        money: Boolean
        # How the uncertainty analysis re-draws the value from its counts (METHOD.md 3.10).
        sampling: OneOf(SAMPLING_MODELS)
        label: Label = Label()

        @model_validator(mode="after")
        def _binomial_needs_a_rate(self) -> _IndicatorEntry:
            if self.sampling == "binomial" and not self.rate:
                raise problem("binomial needs a proportion (rate: true); use poisson or none", at="sampling")
            return self


class _DomainEntry(ConfigModel):
    weight: Number(0, WEIGHT_TOTAL)  # share of 100
    label: Label = Label()
    indicators: dict[str, Number(0, low_open=True)]  # indicator -> weight within the domain

    @field_validator("indicators")
    @classmethod
    def _not_empty(cls, value: dict[str, float]) -> dict[str, float]:
        if not value:
            raise problem("expected at least one indicator, found none")
        return value


class _ChoiceEntry(ConfigModel):
    options: Annotated[list[Any], PlainValidator(lambda v: _non_empty_list(v))]
    probabilities: Any = None  # one per option; uniform when absent

    @model_validator(mode="after")
    def _probabilities(self) -> _ChoiceEntry:
        given = self.probabilities
        if given is None:
            return self
        if not isinstance(given, list) or len(given) != len(self.options):
            expected = f"expected {len(self.options)} probabilities (one per option)"
            raise problem(f"{expected}, found {given!r}", at="probabilities")
        try:
            total = sum(_number(p, 0, 1) for p in given)
        except PydanticCustomError as exc:  # the number's own sentence, at the list's key
            raise problem(str((exc.context or {})["problem"]), at="probabilities") from None
        if abs(total - 1.0) > 1e-9:
            raise problem(f"must sum to 1, found {total:g}", at="probabilities")
        return self


def _non_empty_list(value: Any) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise problem(f"expected a non-empty list, found {value!r}")
    return value


class _Sources(ConfigModel):
    data: Boolean
    imputation: Boolean


class _UncertaintyFile(ConfigModel):
    draws: Whole(1, 1_000_000)
    seed: Whole(0)
    weight_noise: Number(0, 1, high_open=True)
    sources: _Sources
    choices: dict[str, _ChoiceEntry]

    @field_validator("choices", mode="before")
    @classmethod
    def _known_choices(cls, value: Any) -> Any:
        unknown = sorted(set(map(str, value)) - set(CHOICE_NAMES)) if isinstance(value, dict) else []
        if unknown:
            raise problem(f"unknown key; expected one of {sorted(CHOICE_NAMES)}", at=unknown[0])
        return value


class _Method(ConfigModel):
    method: OneOf(NORMALISATIONS)


class _Aggregation(ConfigModel):
    method: OneOf(AGGREGATIONS)
    exponential_constant: Number(0, low_open=True)


# --- the public models the kernels read --------------------------------------------------------


class Indicator(_IndicatorEntry):
    id: str


class Domain(ConfigModel):
    id: str
    weight: float  # share of 100
    label: Label
    indicators: tuple[str, ...]
    indicator_weights: tuple[float, ...]


class Choice(ConfigModel):
    name: str
    options: tuple[Any, ...]
    probabilities: tuple[float, ...]


class Uncertainty(ConfigModel):
    draws: int
    seed: int
    weight_noise: float
    choices: tuple[Choice, ...]
    # Sources of uncertainty beyond the method's choices (METHOD.md 3.10): a parametric bootstrap
    # of every rate from its numerator and denominator, and multiple-imputation draws.
    data: bool = False
    imputation: bool = False

    def choice(self, name: str) -> Choice | None:
        return next((c for c in self.choices if c.name == name), None)


class Methodology(ConfigModel):
    version: str
    adopted: dt.date
    base_year: int
    indicators: tuple[Indicator, ...]
    domains: tuple[Domain, ...]
    editions: Editions
    screening: Screening
    imputation: Imputation
    outliers: Outliers
    smoothing: Smoothing
    normalisation: str
    aggregation: str
    exponential_constant: float
    uncertainty: Uncertainty
    goalposts: FixedGoalposts = FixedGoalposts.model_construct(indicators=None, money_relative_to_national_median=False)
    sensitivity: Sensitivity | None = None
    audit: Audit | None = None
    source: str = "<mapping>"

    @property
    def indicator_ids(self) -> tuple[str, ...]:
        """Indicators in domain order, then in their order within the domain."""
        return tuple(i for d in self.domains for i in d.indicators)

    @property
    def domain_ids(self) -> tuple[str, ...]:
        return tuple(d.id for d in self.domains)

    def indicator(self, indicator_id: str) -> Indicator:
        return next(i for i in self.indicators if i.id == indicator_id)

    def domain(self, domain_id: str) -> Domain:
        return next(d for d in self.domains if d.id == domain_id)

    def domain_of(self, indicator_id: str) -> str:
        return next(d.id for d in self.domains if indicator_id in d.indicators)


class _MethodologyFile(ConfigModel):
    """config/methodology.yml as written; the rules across blocks are checked after the blocks."""

    version: Text
    adopted: Date
    base_year: Whole(1900, 2200)
    indicators: dict[str, _IndicatorEntry]
    domains: dict[str, _DomainEntry]
    editions: Editions
    screening: Screening
    imputation: Imputation
    outliers: Outliers
    smoothing: Smoothing
    normalisation: _Method
    aggregation: _Aggregation
    uncertainty: _UncertaintyFile
    goalposts: FixedGoalposts
    sensitivity: Sensitivity
    audit: Audit

    @field_validator("indicators", "domains")
    @classmethod
    def _not_empty(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        if not value:
            raise problem(f"expected at least one {info.field_name.rstrip('s')}, found none")
        return value

    @model_validator(mode="after")
    def _across_blocks(self, info: ValidationInfo) -> _MethodologyFile:
        allowed = (info.context or {}).get("allowed_indicators")
        for ind_id in self.indicators:
            if allowed is not None and ind_id not in allowed:
                raise problem(f"unknown indicator {ind_id!r}; expected one of {sorted(allowed)}", at=f"indicators.{ind_id}")
        declared = set(self.indicators)
        used: dict[str, str] = {}
        for dom_id, domain in self.domains.items():
            for ind_id in domain.indicators:
                key = f"domains.{dom_id}.indicators.{ind_id}"
                if ind_id not in declared:
                    known = f"declare it under 'indicators' (known: {sorted(declared)})"
                    raise problem(f"unknown indicator {ind_id!r}; {known}", at=key)
                if ind_id in used:
                    raise problem(f"indicator already used by domain {used[ind_id]!r}", at=key)
                used[ind_id] = dom_id
        unused = sorted(declared - set(used))
        if unused:
            raise problem("declared but used by no domain", at=f"indicators.{unused[0]}")
        total = sum(d.weight for d in self.domains.values())
        if abs(total - WEIGHT_TOTAL) > _WEIGHT_TOLERANCE:
            detail = " + ".join(f"{dom_id} {d.weight:g}" for dom_id, d in self.domains.items())
            raise problem(f"domain weights must sum to 100, found {total:g} ({detail})", at="domains")
        if self.editions.min_domains > len(self.domains):
            found = self.editions.min_domains
            raise problem(f"expected a whole number <= {len(self.domains)}, found {found!r}", at="editions.min_domains")
        self._check_choices()
        fixed = self.goalposts.indicators
        if fixed is not None and any(i not in declared for i in fixed):
            expected = "expected 'edition' or a list of declared indicators"
            raise problem(f"{expected}, found {list(fixed)!r}", at="goalposts.indicators")
        return self

    def _check_choices(self) -> None:
        valid: dict[str, tuple[Any, ...] | None] = {
            "outlier_treatment": (True, False),
            "smoothing": (True, False),
            "normalisation": NORMALISATIONS,
            "aggregation": AGGREGATIONS,
            "leave_domain_out": ("none", *self.domains),
            "winsorising_limit": None,  # whole numbers of points
        }
        for name, choice in self.uncertainty.choices.items():
            key = f"uncertainty.choices.{name}.options"
            allowed = valid[name]
            for opt in choice.options:
                if allowed is None:
                    if isinstance(opt, bool) or not isinstance(opt, int) or not 1 <= opt <= 100:
                        raise problem(f"expected whole numbers of points from 1 to 100, found {opt!r}", at=key)
                elif opt not in allowed or isinstance(opt, bool) != isinstance(allowed[0], bool):
                    raise problem(f"unknown option {opt!r}; expected one of {list(allowed)}", at=key)
            if len(set(map(repr, choice.options))) != len(choice.options):
                raise problem(f"an option is listed twice in {choice.options}", at=key)

    def methodology(self, source: str) -> Methodology:
        u = self.uncertainty
        return Methodology(
            version=self.version,
            adopted=self.adopted,
            base_year=self.base_year,
            indicators=tuple(
                Indicator(id=ind_id, **{**dict(spec), "label": spec.label.or_id(ind_id)})
                for ind_id, spec in self.indicators.items()
            ),
            domains=tuple(
                Domain(
                    id=dom_id,
                    weight=d.weight,
                    label=d.label.or_id(dom_id),
                    indicators=tuple(d.indicators),
                    indicator_weights=tuple(d.indicators.values()),
                )
                for dom_id, d in self.domains.items()
            ),
            editions=self.editions,
            screening=self.screening,
            imputation=self.imputation,
            outliers=self.outliers,
            smoothing=self.smoothing,
            normalisation=self.normalisation.method,
            aggregation=self.aggregation.method,
            exponential_constant=self.aggregation.exponential_constant,
            uncertainty=Uncertainty(
                draws=u.draws,
                seed=u.seed,
                weight_noise=u.weight_noise,
                choices=tuple(
                    Choice(
                        name=name,
                        options=tuple(c.options),
                        probabilities=tuple(
                            map(_number, c.probabilities) if c.probabilities else [1.0 / len(c.options)] * len(c.options)
                        ),
                    )
                    for name, c in u.choices.items()
                ),
                data=u.sources.data,
                imputation=u.sources.imputation,
            ),
            goalposts=self.goalposts,
            sensitivity=self.sensitivity,
            audit=self.audit,
            source=source,
        )


def load_methodology(path: str | Path, allowed_indicators: Iterable[str] | None = None) -> Methodology:
    """Read and validate a methodology file.

    ``allowed_indicators``, when given, is the set of indicator ids the warehouse computes; the
    file may declare no other. Without it, the file's own ``indicators`` list is the allowed set.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise MethodologyError(source, "<file>", f"cannot read the file ({exc.strerror or exc})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise MethodologyError(source, "<file>", f"not valid YAML: {exc}") from exc
    return methodology_from_mapping(data, source=source, allowed_indicators=allowed_indicators)


def methodology_from_mapping(
    data: Any, *, source: str = "<mapping>", allowed_indicators: Iterable[str] | None = None
) -> Methodology:
    """Validate an already-parsed methodology (the YAML document as Python objects)."""
    allowed = None if allowed_indicators is None else set(allowed_indicators)
    try:
        read = _MethodologyFile.model_validate(data, context={"allowed_indicators": allowed})
    except ValidationError as exc:
        key, text = keyed(first_problem(exc, _MethodologyFile), data, root="<root>", unknown=_unknown_key)
        raise MethodologyError(source, key, text) from None
    return read.methodology(source)


def _unknown_key(parent: str | None, unknown: list[str], expected: list[str]) -> tuple[str, str]:
    return (f"{parent}.{unknown[0]}" if parent else unknown[0]), f"unknown key; expected one of {expected}"
