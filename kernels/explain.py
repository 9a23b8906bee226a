"""Explanation of a commune's score, in numbers and in plain sentences (METHOD.md 3.9).

From an ``IndexResult``: the contribution of each domain and indicator (they add up to the score),
the commune's weaknesses and strengths (the indicators whose contribution is furthest above or
below the average commune's that year: above means more need), and the largest changes of domain
contributions since the previous year. ``explain_text`` turns that into a few sentences in French,
Dutch or English for a committee member; the caller passes the commune's name.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from kernels.index import IndexResult
from kernels.methodology import LANGUAGES, Methodology


@dataclass(frozen=True)
class Item:
    """A domain's or an indicator's contribution to the score, against the average commune."""

    domain: str
    indicator: str | None  # None for a domain line
    contribution: float  # points of the 0-100 score
    average: float  # the average scored commune's contribution that year
    relative: float  # contribution - average: > 0 means more need than the average commune


@dataclass(frozen=True)
class Change:
    domain: str
    indicator: str | None
    previous: float
    current: float

    @property
    def change(self) -> float:
        return self.current - self.previous


@dataclass(frozen=True)
class Explanation:
    nis_code: str
    year: int
    score: float | None  # None when the commune is not scored
    rank: int | None
    communes_ranked: int
    score_fixed_goalposts: float | None
    indicators_used: int
    indicators_kept: int  # indicators the index used that year
    reason: str | None
    domains: tuple[Item, ...]  # largest contribution first
    indicators: tuple[Item, ...]  # largest contribution first
    weaknesses: tuple[Item, ...]  # indicators most above the average commune (more need)
    strengths: tuple[Item, ...]  # indicators most below the average commune (less need)
    previous_year: int | None
    previous_score: float | None
    previous_rank: int | None
    changes: tuple[Change, ...]  # domain contributions, largest absolute change first
    indicator_changes: tuple[Change, ...]  # indicator contributions, largest absolute change first
    # Indicator -> the year its value describes, where the edition used an earlier reference period.
    earlier_periods: tuple[tuple[str, int], ...] = ()


def explain(
    result: IndexResult,
    nis_code: str,
    year: int,
    *,
    top: int = 3,
    reference_periods: Mapping[tuple[int, str], int] | None = None,
) -> Explanation:
    """Explain one commune-year (``year`` is the edition; ``reference_periods`` maps (edition year,
    indicator) to the year the value used describes)."""
    return _Context(result, top, reference_periods).explain(str(nis_code), int(year))


def explain_all(
    result: IndexResult,
    methodology: Methodology,
    names: Mapping[str, str] | None = None,
    *,
    langs: tuple[str, ...] = LANGUAGES,
    top: int = 3,
    reference_periods: Mapping[tuple[int, str], int] | None = None,
) -> pd.DataFrame:
    """One text per commune, year and language: nis_code, year, lang, text (the index stage's index_explanations)."""
    ctx = _Context(result, top, reference_periods)
    labels = {lang: _Labels(methodology, lang) for lang in langs}
    rows = []
    for code, year in zip(result.index["nis_code"].tolist(), result.index["year"].tolist()):
        ex = ctx.explain(str(code), int(year))
        name = (names or {}).get(str(code), str(code))
        for lang in langs:
            rows.append((str(code), int(year), lang, _worded(ex, name, methodology, labels[lang])))
    return pd.DataFrame(rows, columns=["nis_code", "year", "lang", "text"])


def explain_by_language(
    result: IndexResult,
    methodology: Methodology,
    names: Mapping[str, Mapping[str, str]],
    *,
    top: int = 3,
    reference_periods: Mapping[tuple[int, str], int] | None = None,
) -> pd.DataFrame:
    """``explain_all`` with each language's own commune names (``names``: lang -> nis_code ->
    name), one block of rows per language in the order of ``names``; each commune-year is
    explained once, then worded in every language."""
    ctx = _Context(result, top, reference_periods)
    labels = {lang: _Labels(methodology, lang) for lang in names}
    blocks: dict[str, list[tuple]] = {lang: [] for lang in names}
    for code, year in zip(result.index["nis_code"].tolist(), result.index["year"].tolist()):
        ex = ctx.explain(str(code), int(year))
        for lang, localised in names.items():
            name = localised.get(str(code), str(code))
            blocks[lang].append((str(code), int(year), lang, _worded(ex, name, methodology, labels[lang])))
    rows = [row for lang in names for row in blocks[lang]]
    return pd.DataFrame(rows, columns=["nis_code", "year", "lang", "text"])


class _Context:
    """Averages and lookups computed once, so that explaining all communes stays fast."""

    def __init__(
        self, result: IndexResult, top: int, reference_periods: Mapping[tuple[int, str], int] | None = None
    ) -> None:
        self.top = top
        self.earlier: dict[int, tuple[tuple[str, int], ...]] = {}
        for (edition, indicator), period in sorted((reference_periods or {}).items()):
            if period != edition:
                self.earlier[edition] = (*self.earlier.get(edition, ()), (indicator, period))
        idx = result.index
        # Plain lists: iterating pandas columns value by value (Arrow strings above all) is slow.
        columns = ("nis_code", "year", "score", "rank", "score_fixed_goalposts", "indicators_used", "reason")
        self.rows = {
            (str(c), int(y)): (s, r, f, int(u), reason)
            for c, y, s, r, f, u, reason in zip(*(idx[column].tolist() for column in columns))
        }
        self.kept = result.coverage.groupby("year")["kept"].sum().to_dict() if len(result.coverage) else {}
        self.years = sorted({int(y) for y in idx["year"]})
        self.previous = {y: max((p for p in self.years if p < y), default=None) for y in self.years}
        self.ranked = idx.dropna(subset=["score"]).groupby("year").size().to_dict()
        self.domains = self._items(result.domains, None)
        self.indicators = self._items(result.contributions, "indicator")

    @staticmethod
    def _items(frame: pd.DataFrame, indicator_col: str | None) -> dict[tuple[str, int], list[Item]]:
        key = ["year", indicator_col or "domain"]
        avg = frame.groupby(key)["contribution"].transform("mean").to_numpy()
        out: dict[tuple[str, int], list[Item]] = {}
        indicators = frame[indicator_col].tolist() if indicator_col else [None] * len(frame)
        columns = (frame["nis_code"].tolist(), frame["year"].tolist(), frame["domain"].tolist())
        for c, y, d, i, v, a in zip(*columns, indicators, frame["contribution"].tolist(), avg.tolist()):
            out.setdefault((str(c), int(y)), []).append(Item(str(d), i, float(v), float(a), float(v) - float(a)))
        return out

    def explain(self, code: str, year: int) -> Explanation:
        if (code, year) not in self.rows:
            raise KeyError(f"no index row for nis_code {code!r} in {year}")
        score, rank, fixed, used, reason = self.rows[(code, year)]
        scored = not pd.isna(score)
        domains = sorted(self.domains.get((code, year), []), key=lambda i: -i.contribution) if scored else []
        indicators = sorted(self.indicators.get((code, year), []), key=lambda i: -i.contribution) if scored else []
        by_relative = sorted(indicators, key=lambda i: -i.relative)
        weaknesses = tuple(i for i in by_relative[: self.top] if i.relative > 0)
        strengths = tuple(i for i in reversed(by_relative[-self.top :]) if i.relative < 0)

        prev_year = self.previous[year] if year in self.previous else max((y for y in self.years if y < year), default=None)
        prev_score = prev_rank = None
        changes: tuple[Change, ...] = ()
        indicator_changes: tuple[Change, ...] = ()
        prev = self.rows.get((code, prev_year)) if prev_year is not None else None
        if prev is not None and not pd.isna(prev[0]):
            prev_score, prev_rank = float(prev[0]), int(prev[1])
            if scored:
                changes = self._changes(domains, self.domains.get((code, prev_year), []))
                indicator_changes = self._changes(indicators, self.indicators.get((code, prev_year), []))
        return Explanation(
            nis_code=code,
            year=year,
            score=float(score) if scored else None,
            rank=int(rank) if scored else None,
            communes_ranked=int(self.ranked.get(year, 0)),
            score_fixed_goalposts=None if pd.isna(fixed) else float(fixed),
            indicators_used=used,
            indicators_kept=int(self.kept.get(year, 0)),
            reason=None if pd.isna(reason) else str(reason),
            domains=tuple(domains),
            indicators=tuple(indicators),
            weaknesses=weaknesses,
            strengths=strengths,
            previous_year=prev_year if prev_score is not None else None,
            previous_score=prev_score,
            previous_rank=prev_rank,
            changes=changes,
            indicator_changes=indicator_changes,
            earlier_periods=self.earlier.get(year, ()),
        )

    def _changes(self, now: list[Item], before: list[Item]) -> tuple[Change, ...]:
        was = {(i.domain, i.indicator): i.contribution for i in before}
        found = [
            Change(i.domain, i.indicator, was[(i.domain, i.indicator)], i.contribution)
            for i in now
            if (i.domain, i.indicator) in was
        ]
        return tuple(sorted(found, key=lambda c: -abs(c.change))[: self.top])


# Sentences per language. Numbers are formatted by _num (decimal comma in French and Dutch).
_TEXT = {
    "en": {
        "unscored": "{name} has no cohesion index score for {year}: only {used} of the {kept} indicators used that year are available, and at least {needed} are needed.",
        "score": "{name}, {year}: cohesion index score {score} out of 100, rank {rank} of {n} (rank 1 = greatest need).",
        "domains": "The domains weighing most in the score are {items}.",
        "domain_item": "{label} ({value} points)",
        "weak": "Compared with the average commune, needs are higher for {items}.",
        "strong": "Needs are lower than average for {items}.",
        "rel_item": "{label} ({value} points)",
        "change": "Since {prev}, the score went from {before} to {after} (rank {rank_before} to {rank_after}); the largest changes are in {items}.",
        "change_item": "{label} ({value} points)",
        "fixed": "Against the goalposts of the base year the score is {fixed}.",
        "periods": "The values describe {year}, except {items}, the latest published.",
        "period_item": "{label} ({period})",
        "and": " and ",
    },
    "fr": {
        "unscored": "{name} n'a pas de score d'indice de cohésion pour {year} : seuls {used} des {kept} indicateurs utilisés cette année sont disponibles, alors qu'il en faut au moins {needed}.",
        "score": "{name}, {year} : score de l'indice de cohésion {score} sur 100, rang {rank} sur {n} (rang 1 = besoins les plus élevés).",
        "domains": "Les domaines qui pèsent le plus dans le score sont {items}.",
        "domain_item": "{label} ({value} points)",
        "weak": "Par rapport à la commune moyenne, les besoins sont plus élevés pour {items}.",
        "strong": "Les besoins sont inférieurs à la moyenne pour {items}.",
        "rel_item": "{label} ({value} points)",
        "change": "Depuis {prev}, le score est passé de {before} à {after} (rang {rank_before} puis {rank_after}) ; les plus grands changements concernent {items}.",
        "change_item": "{label} ({value} points)",
        "fixed": "Mesuré avec les repères fixes de l'année de base, le score est de {fixed}.",
        "periods": "Les valeurs portent sur {year}, sauf {items}, les dernières publiées.",
        "period_item": "{label} ({period})",
        "and": " et ",
    },
    "nl": {
        "unscored": "{name} heeft geen score op de cohesie-index voor {year}: slechts {used} van de {kept} indicatoren van dat jaar zijn beschikbaar, terwijl er minstens {needed} nodig zijn.",
        "score": "{name}, {year}: score op de cohesie-index {score} op 100, rang {rank} van {n} (rang 1 = grootste noden).",
        "domains": "De domeinen die het zwaarst doorwegen in de score zijn {items}.",
        "domain_item": "{label} ({value} punten)",
        "weak": "In vergelijking met de gemiddelde gemeente zijn de noden hoger voor {items}.",
        "strong": "De noden liggen lager dan gemiddeld voor {items}.",
        "rel_item": "{label} ({value} punten)",
        "change": "Sinds {prev} ging de score van {before} naar {after} (rang {rank_before} naar {rank_after}); de grootste veranderingen betreffen {items}.",
        "change_item": "{label} ({value} punten)",
        "fixed": "Gemeten aan de vaste ijkpunten van het basisjaar is de score {fixed}.",
        "periods": "De waarden gaan over {year}, behalve {items}, de laatst gepubliceerde.",
        "period_item": "{label} ({period})",
        "and": " en ",
    },
}


def explain_text(explanation: Explanation, commune_name: str, methodology: Methodology, lang: str = "fr") -> str:
    """A few plain sentences explaining the score, in ``lang`` ("fr", "nl" or "en")."""
    if lang not in _TEXT:
        raise ValueError(f"unknown language {lang!r}; expected one of {sorted(_TEXT)}")
    return _worded(explanation, commune_name, methodology, _Labels(methodology, lang))


class _Labels:
    """The methodology's labels of every indicator and domain in one language, looked up once
    (``Methodology.indicator`` searches the list on every call)."""

    def __init__(self, methodology: Methodology, lang: str) -> None:
        self.lang = lang
        self.indicators = {i.id: i.label.get(lang) for i in methodology.indicators}
        self.domains = {d.id: d.label.get(lang) for d in methodology.domains}

    def __call__(self, item: Item | Change) -> str:
        if item.indicator is not None:
            return self.indicators[item.indicator]
        return self.domains[item.domain]


def _worded(explanation: Explanation, commune_name: str, methodology: Methodology, label: _Labels) -> str:
    lang = label.lang
    t = _TEXT[lang]
    ex = explanation

    def num(x: float, signed: bool = False) -> str:
        return _num(x, lang, signed)

    def join(parts: list[str]) -> str:
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + t["and"] + parts[-1]

    if ex.score is None:
        needed = math.ceil(methodology.screening.min_commune_indicator_share * ex.indicators_kept - 1e-9)
        return t["unscored"].format(
            name=commune_name, year=ex.year, used=ex.indicators_used, kept=ex.indicators_kept, needed=needed
        )
    out = [t["score"].format(name=commune_name, year=ex.year, score=num(ex.score), rank=ex.rank, n=ex.communes_ranked)]
    main = [d for d in ex.domains[:3] if d.contribution > 0]
    if main:
        out.append(t["domains"].format(items=join([t["domain_item"].format(label=label(d), value=num(d.contribution)) for d in main])))
    if ex.weaknesses:
        out.append(t["weak"].format(items=join([t["rel_item"].format(label=label(i), value=num(i.relative, True)) for i in ex.weaknesses])))
    if ex.strengths:
        out.append(t["strong"].format(items=join([t["rel_item"].format(label=label(i), value=num(i.relative, True)) for i in ex.strengths])))
    if ex.previous_year is not None and ex.changes:
        out.append(
            t["change"].format(
                prev=ex.previous_year,
                before=num(ex.previous_score),
                after=num(ex.score),
                rank_before=ex.previous_rank,
                rank_after=ex.rank,
                items=join([t["change_item"].format(label=label(c), value=num(c.change, True)) for c in ex.changes]),
            )
        )
    if ex.score_fixed_goalposts is not None and abs(ex.score_fixed_goalposts - ex.score) >= 0.05:
        out.append(t["fixed"].format(fixed=num(ex.score_fixed_goalposts)))
    if ex.earlier_periods:
        items = [t["period_item"].format(label=label.indicators[i], period=p) for i, p in ex.earlier_periods]
        out.append(t["periods"].format(year=ex.year, items=join(items)))
    return " ".join(out)


def _num(x: float, lang: str, signed: bool = False) -> str:
    # The sign goes into the cache key: -0.0 == 0.0, but the text shows the minus.
    text = _point_num(x, signed, math.copysign(1.0, x))
    return text.replace(".", ",") if lang in ("fr", "nl") else text


# Each commune's numbers are worded in every language in turn: formatted once, not once per language.
@functools.lru_cache(maxsize=1024)
def _point_num(x: float, signed: bool, sign: float) -> str:
    text = f"{x:+.1f}" if signed else f"{x:.1f}"
    if signed:
        text = text.replace("-", "\u2212")  # a true minus sign reads better than a hyphen
    return text
