"""The methodology file (config/methodology.yml), loaded into frozen dataclasses and validated.

Every parameter of the index comes from this file (../shared/METHOD.md, section 3). Validation
happens once, on load, so that the kernels can trust what they receive; every error names the
file and the dotted key, and says what was expected and what was found.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

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
WEIGHT_TOTAL = 100.0
_WEIGHT_TOLERANCE = 1e-6


class MethodologyError(ValueError):
    """The methodology file is invalid; ``key`` is the dotted path of the offending entry."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        super().__init__(f"{source}: key {key!r}: {problem}")


@dataclass(frozen=True)
class Label:
    en: str
    fr: str
    nl: str

    def get(self, lang: str) -> str:
        return {"en": self.en, "fr": self.fr, "nl": self.nl}[lang]


@dataclass(frozen=True)
class Indicator:
    id: str
    direction: int  # +1: a higher value means more need; -1: less need
    rate: bool  # a proportion numerator / denominator, eligible for smoothing
    label: Label
    # A share counted over the whole register (residents by nationality or age): no sampling
    # error to shrink, so never smoothed (METHOD.md 3.4).
    register: bool = False
    # A money amount: compared across years relative to the national median of its year (3.3).
    money: bool = False
    # How the uncertainty analysis re-draws the value from its counts (METHOD.md 3.10).
    sampling: str = "none"


@dataclass(frozen=True)
class Domain:
    id: str
    weight: float  # share of 100
    label: Label
    indicators: tuple[str, ...]
    indicator_weights: tuple[float, ...]


@dataclass(frozen=True)
class Screening:
    min_indicator_coverage: float
    min_commune_indicator_share: float


@dataclass(frozen=True)
class Imputation:
    method: str
    fallback: str  # "national_median" or "none"


@dataclass(frozen=True)
class Outliers:
    enabled: bool
    # The normalisations the treatment protects: it runs (and the normalisation reads the treated
    # values) only before these. The rank-based normal transform needs none (METHOD.md 3.5).
    normalisations: tuple[str, ...]
    skewness_threshold: float
    kurtosis_threshold: float
    max_winsorised_points: int
    fallback: str  # "log_transform" or "none"
    log_offset_share: float


SAMPLING_MODELS: tuple[str, ...] = ("binomial", "poisson", "none")
SMOOTHING_PRIORS: tuple[str, ...] = ("arrondissement", "arrondissement_median")


@dataclass(frozen=True)
class Smoothing:
    enabled: bool
    method: str
    # "arrondissement": the arrondissement's pooled rate (method 1; its cities dominate it);
    # "arrondissement_median": the median rate of the arrondissement's communes (method 2).
    prior: str
    min_population: float  # only communes below it are smoothed; 0 = every commune (by precision)


@dataclass(frozen=True)
class FixedGoalposts:
    """The fixed-goalpost score (METHOD.md 3.8): one indicator set per methodology version, or
    ``None`` for whatever each edition shares with the base year (method 1)."""

    indicators: tuple[str, ...] | None
    money_relative_to_national_median: bool


@dataclass(frozen=True)
class Editions:
    """Which index editions a release holds (METHOD.md 3.1): edition Y takes each indicator's
    latest reference period <= Y no older than ``max_lag_years``; an indicator enters the national
    index only where it covers at least ``min_region_coverage`` of every region's communes (else
    it can feed a regional supplement of ``regional_supplements``); an edition exists only with at
    least ``min_domains`` domains carrying ``min_weight_share`` of the weight."""

    max_lag_years: int
    min_region_coverage: float
    min_domains: int
    min_weight_share: float
    regional_supplements: tuple[str, ...]


@dataclass(frozen=True)
class Choice:
    name: str
    options: tuple[Any, ...]
    probabilities: tuple[float, ...]


@dataclass(frozen=True)
class Uncertainty:
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


@dataclass(frozen=True)
class Sensitivity:
    """One-at-a-time leave-outs and Sobol indices of the method's choices (METHOD.md 3.11)."""

    leave_out: tuple[str, ...]  # "domains", "indicators"
    sobol_samples: int  # base sample size N of the Saltelli design (N x (d + 2) evaluations)
    sobol_bootstrap: int = 0  # resamples of the N rows for the 5th and 95th percentiles


@dataclass(frozen=True)
class Audit:
    """Thresholds of the coherence audit (METHOD.md 3.9)."""

    min_cronbach_alpha: float
    max_indicator_correlation: float


@dataclass(frozen=True)
class Methodology:
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
    goalposts: FixedGoalposts = FixedGoalposts(None, False)
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
    r = _Reader(source)
    top = r.mapping(data, "<root>")
    r.only(
        top,
        "<root>",
        {
            "version", "adopted", "base_year", "goalposts", "indicators", "domains", "editions", "screening",
            "imputation", "outliers", "smoothing", "normalisation", "aggregation", "uncertainty",
            "sensitivity", "audit",
        },
    )
    version = r.text(r.get(top, "version", "<root>"), "version")
    adopted = r.date(r.get(top, "adopted", "<root>"), "adopted")
    base_year = r.integer(r.get(top, "base_year", "<root>"), "base_year", low=1900, high=2200)

    indicators = _indicators(r, r.get(top, "indicators", "<root>"), allowed_indicators)
    domains = _domains(r, r.get(top, "domains", "<root>"), indicators)

    editions = _editions(r, r.get(top, "editions", "<root>"), domains)

    sc = r.mapping(r.get(top, "screening", "<root>"), "screening")
    r.only(sc, "screening", {"min_indicator_coverage", "min_commune_indicator_share"})
    screening = Screening(
        min_indicator_coverage=r.number(
            r.get(sc, "min_indicator_coverage", "screening"), "screening.min_indicator_coverage", low=0, high=1
        ),
        min_commune_indicator_share=r.number(
            r.get(sc, "min_commune_indicator_share", "screening"),
            "screening.min_commune_indicator_share",
            low=0,
            high=1,
        ),
    )

    im = r.mapping(r.get(top, "imputation", "<root>"), "imputation")
    r.only(im, "imputation", {"method", "fallback"})
    imputation = Imputation(
        method=r.one_of(r.get(im, "method", "imputation"), "imputation.method", ("arrondissement_median",)),
        fallback=r.one_of(r.get(im, "fallback", "imputation"), "imputation.fallback", ("national_median", "none")),
    )

    ou = r.mapping(r.get(top, "outliers", "<root>"), "outliers")
    keys = (
        "enabled", "normalisations", "skewness_threshold", "kurtosis_threshold", "max_winsorised_points", "fallback",
        "log_offset_share",
    )
    r.only(ou, "outliers", set(keys))
    outliers = Outliers(
        enabled=r.boolean(r.get(ou, "enabled", "outliers"), "outliers.enabled"),
        normalisations=r.subset(r.get(ou, "normalisations", "outliers"), "outliers.normalisations", NORMALISATIONS),
        skewness_threshold=r.number(
            r.get(ou, "skewness_threshold", "outliers"), "outliers.skewness_threshold", low=0, low_open=True
        ),
        kurtosis_threshold=r.number(
            r.get(ou, "kurtosis_threshold", "outliers"), "outliers.kurtosis_threshold", low=0, low_open=True
        ),
        max_winsorised_points=r.integer(
            r.get(ou, "max_winsorised_points", "outliers"), "outliers.max_winsorised_points", low=0, high=100
        ),
        fallback=r.one_of(r.get(ou, "fallback", "outliers"), "outliers.fallback", ("log_transform", "none")),
        log_offset_share=r.number(
            r.get(ou, "log_offset_share", "outliers"), "outliers.log_offset_share", low=0, high=1, low_open=True
        ),
    )

    sm = r.mapping(r.get(top, "smoothing", "<root>"), "smoothing")
    r.only(sm, "smoothing", {"enabled", "method", "prior", "min_population"})
    smoothing = Smoothing(
        enabled=r.boolean(r.get(sm, "enabled", "smoothing"), "smoothing.enabled"),
        method=r.one_of(r.get(sm, "method", "smoothing"), "smoothing.method", ("empirical_bayes_logit",)),
        prior=r.one_of(r.get(sm, "prior", "smoothing"), "smoothing.prior", SMOOTHING_PRIORS),
        min_population=r.number(r.get(sm, "min_population", "smoothing"), "smoothing.min_population", low=0),
    )

    no = r.mapping(r.get(top, "normalisation", "<root>"), "normalisation")
    r.only(no, "normalisation", {"method"})
    normalisation = r.one_of(r.get(no, "method", "normalisation"), "normalisation.method", NORMALISATIONS)

    ag = r.mapping(r.get(top, "aggregation", "<root>"), "aggregation")
    r.only(ag, "aggregation", {"method", "exponential_constant"})
    aggregation = r.one_of(r.get(ag, "method", "aggregation"), "aggregation.method", AGGREGATIONS)
    constant = r.number(
        r.get(ag, "exponential_constant", "aggregation"), "aggregation.exponential_constant", low=0, low_open=True
    )

    uncertainty = _uncertainty(r, r.get(top, "uncertainty", "<root>"), tuple(d.id for d in domains))
    goalposts = _goalposts(r, r.get(top, "goalposts", "<root>"), indicators)

    se = r.mapping(r.get(top, "sensitivity", "<root>"), "sensitivity")
    r.only(se, "sensitivity", {"leave_out", "sobol_samples", "sobol_bootstrap"})
    sensitivity = Sensitivity(
        leave_out=r.subset(r.get(se, "leave_out", "sensitivity"), "sensitivity.leave_out", ("domains", "indicators")),
        sobol_samples=r.integer(r.get(se, "sobol_samples", "sensitivity"), "sensitivity.sobol_samples", low=0, high=100_000),
        sobol_bootstrap=r.integer(
            r.get(se, "sobol_bootstrap", "sensitivity"), "sensitivity.sobol_bootstrap", low=0, high=10_000
        ),
    )
    au = r.mapping(r.get(top, "audit", "<root>"), "audit")
    r.only(au, "audit", {"min_cronbach_alpha", "max_indicator_correlation"})
    audit = Audit(
        min_cronbach_alpha=r.number(r.get(au, "min_cronbach_alpha", "audit"), "audit.min_cronbach_alpha", low=-1, high=1),
        max_indicator_correlation=r.number(
            r.get(au, "max_indicator_correlation", "audit"), "audit.max_indicator_correlation", low=0, high=1
        ),
    )

    return Methodology(
        version=version,
        adopted=adopted,
        base_year=base_year,
        indicators=indicators,
        domains=domains,
        editions=editions,
        screening=screening,
        imputation=imputation,
        outliers=outliers,
        smoothing=smoothing,
        normalisation=normalisation,
        aggregation=aggregation,
        exponential_constant=constant,
        uncertainty=uncertainty,
        goalposts=goalposts,
        sensitivity=sensitivity,
        audit=audit,
        source=source,
    )


def _goalposts(r: _Reader, raw: Any, indicators: tuple[Indicator, ...]) -> FixedGoalposts:
    gp = r.mapping(raw, "goalposts")
    r.only(gp, "goalposts", {"indicators", "money_relative_to_national_median"})
    chosen = r.get(gp, "indicators", "goalposts")
    ids = tuple(i.id for i in indicators)
    if chosen == "edition":
        fixed = None
    else:
        fixed = r.subset(chosen, "goalposts.indicators", ids, what="'edition' or a list of declared indicators")
        if not fixed:
            raise MethodologyError(r.source, "goalposts.indicators", "expected at least one indicator, found none")
    return FixedGoalposts(
        indicators=fixed,
        money_relative_to_national_median=r.boolean(
            r.get(gp, "money_relative_to_national_median", "goalposts"), "goalposts.money_relative_to_national_median"
        ),
    )


def _indicators(r: _Reader, raw: Any, allowed: Iterable[str] | None) -> tuple[Indicator, ...]:
    block = r.mapping(raw, "indicators")
    if not block:
        raise MethodologyError(r.source, "indicators", "expected at least one indicator, found none")
    allowed_set = set(allowed) if allowed is not None else None
    out = []
    for ind_id, spec in block.items():
        key = f"indicators.{ind_id}"
        if allowed_set is not None and ind_id not in allowed_set:
            raise MethodologyError(
                r.source, key, f"unknown indicator {ind_id!r}; expected one of {sorted(allowed_set)}"
            )
        spec = r.mapping(spec, key)
        r.only(spec, key, {"direction", "rate", "register", "money", "sampling", "label"})
        direction = r.get(spec, "direction", key)
        if isinstance(direction, bool) or direction not in (1, -1):
            raise MethodologyError(
                r.source, f"{key}.direction", f"unknown direction {direction!r}; expected 1 (more need) or -1 (less need)"
            )
        out.append(
            Indicator(
                id=str(ind_id),
                direction=int(direction),
                rate=r.boolean(r.get(spec, "rate", key), f"{key}.rate"),
                label=r.label(spec.get("label"), f"{key}.label", fallback=str(ind_id)),
                register=r.boolean(r.get(spec, "register", key), f"{key}.register"),
                money=r.boolean(r.get(spec, "money", key), f"{key}.money"),
                sampling=r.one_of(r.get(spec, "sampling", key), f"{key}.sampling", SAMPLING_MODELS),
            )
        )
        if out[-1].sampling == "binomial" and not out[-1].rate:
            raise MethodologyError(r.source, f"{key}.sampling", "binomial needs a proportion (rate: true); use poisson or none")
    return tuple(out)


def _domains(r: _Reader, raw: Any, indicators: tuple[Indicator, ...]) -> tuple[Domain, ...]:
    block = r.mapping(raw, "domains")
    if not block:
        raise MethodologyError(r.source, "domains", "expected at least one domain, found none")
    declared = {i.id for i in indicators}
    used: dict[str, str] = {}
    out = []
    for dom_id, spec in block.items():
        key = f"domains.{dom_id}"
        spec = r.mapping(spec, key)
        r.only(spec, key, {"weight", "label", "indicators"})
        weight = r.number(r.get(spec, "weight", key), f"{key}.weight", low=0, high=WEIGHT_TOTAL)
        members = r.mapping(r.get(spec, "indicators", key), f"{key}.indicators")
        if not members:
            raise MethodologyError(r.source, f"{key}.indicators", "expected at least one indicator, found none")
        ids, weights = [], []
        for ind_id, w in members.items():
            ikey = f"{key}.indicators.{ind_id}"
            if ind_id not in declared:
                raise MethodologyError(
                    r.source, ikey, f"unknown indicator {ind_id!r}; declare it under 'indicators' (known: {sorted(declared)})"
                )
            if ind_id in used:
                raise MethodologyError(r.source, ikey, f"indicator already used by domain {used[ind_id]!r}")
            used[ind_id] = str(dom_id)
            ids.append(str(ind_id))
            weights.append(r.number(w, ikey, low=0, low_open=True))
        out.append(
            Domain(
                id=str(dom_id),
                weight=weight,
                label=r.label(spec.get("label"), f"{key}.label", fallback=str(dom_id)),
                indicators=tuple(ids),
                indicator_weights=tuple(weights),
            )
        )
    unused = sorted(declared - set(used))
    if unused:
        raise MethodologyError(r.source, f"indicators.{unused[0]}", "declared but used by no domain")
    total = sum(d.weight for d in out)
    if abs(total - WEIGHT_TOTAL) > _WEIGHT_TOLERANCE:
        detail = " + ".join(f"{d.id} {d.weight:g}" for d in out)
        raise MethodologyError(r.source, "domains", f"domain weights must sum to 100, found {total:g} ({detail})")
    return tuple(out)


def _editions(r: _Reader, raw: Any, domains: tuple[Domain, ...]) -> Editions:
    ed = r.mapping(raw, "editions")
    keys = ("max_lag_years", "min_region_coverage", "min_domains", "min_weight_share", "regional_supplements")
    r.only(ed, "editions", set(keys))
    supplements = r.get(ed, "regional_supplements", "editions")
    if not isinstance(supplements, list) or any(s not in REGION_SCOPES for s in supplements):
        raise MethodologyError(
            r.source, "editions.regional_supplements",
            f"expected a list of regions among {list(REGION_SCOPES)} (possibly empty), found {supplements!r}",
        )
    if len(set(supplements)) != len(supplements):
        raise MethodologyError(r.source, "editions.regional_supplements", f"a region is listed twice in {supplements}")
    return Editions(
        max_lag_years=r.integer(r.get(ed, "max_lag_years", "editions"), "editions.max_lag_years", low=0, high=50),
        min_region_coverage=r.number(
            r.get(ed, "min_region_coverage", "editions"), "editions.min_region_coverage", low=0, high=1, low_open=True
        ),
        min_domains=r.integer(r.get(ed, "min_domains", "editions"), "editions.min_domains", low=1, high=len(domains)),
        min_weight_share=r.number(
            r.get(ed, "min_weight_share", "editions"), "editions.min_weight_share", low=0, high=1
        ),
        regional_supplements=tuple(str(s) for s in supplements),
    )


def _uncertainty(r: _Reader, raw: Any, domain_ids: tuple[str, ...]) -> Uncertainty:
    un = r.mapping(raw, "uncertainty")
    r.only(un, "uncertainty", {"draws", "seed", "weight_noise", "sources", "choices"})
    so = r.mapping(r.get(un, "sources", "uncertainty"), "uncertainty.sources")
    r.only(so, "uncertainty.sources", {"data", "imputation"})
    data_source = r.boolean(r.get(so, "data", "uncertainty.sources"), "uncertainty.sources.data")
    imputation_source = r.boolean(r.get(so, "imputation", "uncertainty.sources"), "uncertainty.sources.imputation")
    draws = r.integer(r.get(un, "draws", "uncertainty"), "uncertainty.draws", low=1, high=1_000_000)
    seed = r.integer(r.get(un, "seed", "uncertainty"), "uncertainty.seed", low=0)
    noise = r.number(r.get(un, "weight_noise", "uncertainty"), "uncertainty.weight_noise", low=0, high=1, high_open=True)
    block = r.mapping(r.get(un, "choices", "uncertainty"), "uncertainty.choices")
    r.only(block, "uncertainty.choices", set(CHOICE_NAMES))
    valid: dict[str, tuple[Any, ...] | None] = {
        "outlier_treatment": (True, False),
        "smoothing": (True, False),
        "normalisation": NORMALISATIONS,
        "aggregation": AGGREGATIONS,
        "leave_domain_out": ("none", *domain_ids),
        "winsorising_limit": None,  # integers checked below
    }
    choices = []
    for name, spec in block.items():
        key = f"uncertainty.choices.{name}"
        spec = r.mapping(spec, key)
        r.only(spec, key, {"options", "probabilities"})
        options = r.get(spec, "options", key)
        if not isinstance(options, list) or not options:
            raise MethodologyError(r.source, f"{key}.options", f"expected a non-empty list, found {options!r}")
        for opt in options:
            allowed = valid[name]
            if allowed is None:
                if isinstance(opt, bool) or not isinstance(opt, int) or not 1 <= opt <= 100:
                    raise MethodologyError(
                        r.source, f"{key}.options", f"expected whole numbers of points from 1 to 100, found {opt!r}"
                    )
            elif opt not in allowed or isinstance(opt, bool) != isinstance(allowed[0], bool):
                raise MethodologyError(
                    r.source, f"{key}.options", f"unknown option {opt!r}; expected one of {list(allowed)}"
                )
        if len(set(map(repr, options))) != len(options):
            raise MethodologyError(r.source, f"{key}.options", f"an option is listed twice in {options}")
        probs_raw = spec.get("probabilities")
        if probs_raw is None:
            probs = tuple(1.0 / len(options) for _ in options)
        else:
            if not isinstance(probs_raw, list) or len(probs_raw) != len(options):
                raise MethodologyError(
                    r.source, f"{key}.probabilities", f"expected {len(options)} probabilities (one per option), found {probs_raw!r}"
                )
            probs = tuple(r.number(p, f"{key}.probabilities", low=0, high=1) for p in probs_raw)
            if abs(sum(probs) - 1.0) > 1e-9:
                raise MethodologyError(r.source, f"{key}.probabilities", f"must sum to 1, found {sum(probs):g}")
        choices.append(Choice(name=str(name), options=tuple(options), probabilities=probs))
    return Uncertainty(
        draws=draws, seed=seed, weight_noise=noise, choices=tuple(choices), data=data_source, imputation=imputation_source
    )


class _Reader:
    """Typed accessors that raise MethodologyError naming the dotted key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> MethodologyError:
        return MethodologyError(self.source, key, problem)

    def mapping(self, value: Any, key: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(key, f"expected a mapping, found {type(value).__name__} {value!r}")
        return value

    def get(self, block: Mapping[str, Any], name: str, parent: str) -> Any:
        if name not in block:
            where = name if parent == "<root>" else f"{parent}.{name}"
            raise self.fail(where, "missing key")
        return block[name]

    def only(self, block: Mapping[str, Any], parent: str, allowed: set[str]) -> None:
        unknown = sorted(set(map(str, block)) - allowed)
        if unknown:
            where = unknown[0] if parent == "<root>" else f"{parent}.{unknown[0]}"
            raise self.fail(where, f"unknown key; expected one of {sorted(allowed)}")

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool) or str(value).strip() == "":
            raise self.fail(key, f"expected a non-empty text, found {value!r}")
        return str(value)

    def date(self, value: Any, key: str) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(key, f"expected a date YYYY-MM-DD, found {value!r}") from None

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, found {value!r}")
        return value

    def number(
        self,
        value: Any,
        key: str,
        *,
        low: float | None = None,
        high: float | None = None,
        low_open: bool = False,
        high_open: bool = False,
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
            raise self.fail(key, f"expected a number, found {value!r}")
        if low is not None and (number < low or (low_open and number == low)):
            raise self.fail(key, f"expected a number {'>' if low_open else '>='} {low:g}, found {value!r}")
        if high is not None and (number > high or (high_open and number == high)):
            raise self.fail(key, f"expected a number {'<' if high_open else '<='} {high:g}, found {value!r}")
        return number

    def integer(self, value: Any, key: str, *, low: int | None = None, high: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"expected a whole number, found {value!r}")
        if low is not None and value < low:
            raise self.fail(key, f"expected a whole number >= {low}, found {value!r}")
        if high is not None and value > high:
            raise self.fail(key, f"expected a whole number <= {high}, found {value!r}")
        return value

    def subset(self, value: Any, key: str, allowed: tuple[str, ...], what: str | None = None) -> tuple[str, ...]:
        """A list of distinct values among ``allowed`` (possibly empty), in the file's order."""
        if not isinstance(value, list) or any(v not in allowed for v in value):
            expected = what or f"a list of values among {list(allowed)}"
            raise self.fail(key, f"expected {expected}, found {value!r}")
        if len(set(value)) != len(value):
            raise self.fail(key, f"a value is listed twice in {value}")
        return tuple(str(v) for v in value)

    def one_of(self, value: Any, key: str, allowed: tuple[str, ...]) -> str:
        if value not in allowed:
            raise self.fail(key, f"unknown value {value!r}; expected one of {list(allowed)}")
        return str(value)

    def label(self, value: Any, key: str, *, fallback: str) -> Label:
        if value is None:
            return Label(en=fallback, fr=fallback, nl=fallback)
        block = self.mapping(value, key)
        self.only(block, key, set(LANGUAGES))
        texts = {lang: self.text(block.get(lang, fallback), f"{key}.{lang}") for lang in LANGUAGES}
        return Label(**texts)
