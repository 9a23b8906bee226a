"""One page per commune and language: the index over the editions with its 90% rank interval, each
domain's contribution, each indicator beside its region and Belgium, the fund, the explanation
(the very sentences of `cohesion explain`), the former communes, and links to the raw files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import pandas as pd

from ingestion.errors import CohesionError
from publish.explain_text import ReleaseTexts
from publish.site.charts import rank_chart_shapes, sparkline_shapes, titled_rank_chart, titled_sparkline
from publish.site.data import DECIMALS, ReleaseData, display_value
from publish.site.html import Frame, e, page, table
from publish.site.i18n import text, unit_label
from publish.site.numbers import format_euros, format_number, format_percent, in_language

T = TypeVar("T")

RAW_TABLES = (
    "cohesion_index", "cohesion_index_uncertainty", "cohesion_index_contributions", "commune_indicators",
    "fund_eligibility", "fund_allocation", "fund_transitions",
)


def _records_by_commune(frame: pd.DataFrame) -> dict[str, list[dict]]:
    """Rows as plain dicts grouped by commune, in the frame's order (NaN read as None)."""
    grouped: dict[str, list[dict]] = {}
    columns = list(frame.columns)
    # Column by column (tolist gives Python values), not frame.to_dict, which boxes every value.
    values = []
    for column in columns:
        series = frame[column]
        missing = series.isna().to_numpy()
        plain = series.tolist()
        values.append([None if gone else value for value, gone in zip(plain, missing)] if missing.any() else plain)
    for row in zip(*values):
        record = dict(zip(columns, row))
        grouped.setdefault(record["nis_code"], []).append(record)
    return grouped


class CommuneTables:
    """The release's rows grouped by commune once, so that each page reads only its own."""

    def __init__(self, data: ReleaseData):
        self.index = _records_by_commune(data.index)
        self.domains = _records_by_commune(data.domains)
        # commune -> indicator -> [(year, value, flags)], in year order: plain tuples, read 1,695 times.
        self.indicators: dict[str, dict[str, list[tuple[int, float | None, str]]]] = {}
        # (Columns as lists: iterating a Series of text costs a Python call per value.)
        indicators = data.indicators
        for nis, indicator, year, value, flags in zip(
            indicators["nis_code"].tolist(), indicators["indicator"].tolist(), indicators["year"].tolist(),
            indicators["value"].tolist(), indicators["flags"].tolist(),
        ):
            self.indicators.setdefault(nis, {}).setdefault(indicator, []).append(
                (int(year), None if pd.isna(value) else float(value), flags or "")
            )
        latest = max(data.editions) if data.editions else None
        self.treatments: dict[tuple[str, str], list[str]] = {}
        treatments = data.treatments
        for nis, year, indicator, treatment in zip(
            treatments["nis_code"].tolist(), treatments["year"].tolist(), treatments["indicator"].tolist(),
            treatments["treatment"].tolist(),
        ):
            if year == latest:  # the treatments of the edition the page explains
                self.treatments.setdefault((nis, indicator), []).append(treatment)
        self.texts = ReleaseTexts.read(data.con)
        fund = data.fund[data.fund["year"].isin(data.fund_years)] if len(data.fund) else data.fund
        self.fund = _records_by_commune(fund)
        self.allocation = _records_by_commune(data.allocation)
        self.former = _records_by_commune(data.former)
        medians = data.medians
        self.region_medians = {
            (r.indicator, r.year, r.region_code): r.region_median for r in medians.itertuples()
        }
        self.belgium_medians = {(r.indicator, r.year): r.belgium_median for r in medians.itertuples()}
        self.scored = dict(data.index.groupby("year")["score"].count())
        self._shared_nis: str | None = None
        self._shared: dict[str, object] = {}

    def shared(self, nis: str, part: str, make: Callable[[], T]) -> T:
        """What the commune's pages show alike in every language (``part``, made by ``make`` on the
        first of them). The three pages of a commune come one after the other (build_site), so
        only the last commune's parts are kept."""
        if self._shared_nis != nis:
            self._shared_nis, self._shared = nis, {}
        if part not in self._shared:
            self._shared[part] = make()
        return self._shared[part]  # type: ignore[return-value]


@dataclass(frozen=True)
class IndicatorRow:
    """An indicator on a commune's page as far as the three languages share it: its cells of
    numbers written in English (``numbers.in_language`` gives the page's) and its sparkline drawn."""

    indicator: str
    unit: str
    flags: str  # of the latest value
    numbers: str  # the cells of the latest value, its year, and the region's and Belgium's medians
    shapes: str | None  # the sparkline's lines (charts.sparkline_shapes)
    history: str  # the cells of every year, flags as marks (their commas as _MARK_COMMA)


# Between the marks of a cell's flags: a comma in every language, so kept apart from the numbers'
# separators until the row is in the page's language.
_MARK_COMMA = "\x1f"


def _indicator_rows(data: ReleaseData, tables: CommuneTables, nis: str, region: str) -> tuple[list[IndicatorRow], list[int], dict[str, int]]:
    """The commune's indicators, every year any of them has, and the number of each flag marked
    in the year-by-year table (in the order the table meets them)."""
    by_indicator = tables.indicators.get(nis) or {}
    all_years = sorted({y for series in by_indicator.values() for y, _, _ in series})
    rows = []
    used: dict[str, int] = {}
    for indicator, info in data.indicator_info.items():
        series = by_indicator.get(indicator)
        if not series:
            continue
        unit, decimals = info["unit"], DECIMALS.get(info["unit"], 2)

        def shown(value, unit=unit, decimals=decimals):
            return format_number(display_value(value, unit), "en", decimals)

        present = [point for point in series if point[1] is not None]
        year, value, flags = (present or series)[-1]
        years = [y for y, _, _ in series]
        lines = [
            [(y, display_value(v, unit)) for y, v, _ in series],
            [(y, display_value(tables.region_medians.get((indicator, y, region)), unit)) for y in years],
            [(y, display_value(tables.belgium_medians.get((indicator, y)), unit)) for y in years],
        ]
        values = {y: (v, f) for y, v, f in series}
        cells = []
        for y in all_years:
            if y not in values:
                cells.append('<td class="n"></td>')
                continue
            v, f = values[y]
            marks = f"<sup>{_flag_marks(f, used, _MARK_COMMA)}</sup>" if f else ""
            cells.append(f'<td class="n">{shown(v)}{marks}</td>')
        rows.append(IndicatorRow(
            indicator=indicator, unit=unit, flags=flags,
            numbers=(
                f'<td class="n">{shown(value)}</td><td>{year}</td>'
                f'<td class="n">{shown(tables.region_medians.get((indicator, year, region)))}</td>'
                f'<td class="n">{shown(tables.belgium_medians.get((indicator, year)))}</td>'
            ),
            shapes=sparkline_shapes(lines, years),
            history="".join(cells),
        ))
    return rows, all_years, used


def _identity(data: ReleaseData, row: dict, lang: str) -> str:
    name = data.commune_name(row["nis_code"], lang)
    others = [n for n in (row["name_fr"], row["name_nl"], row["name_de"]) if isinstance(n, str) and n and n != name]
    province = row.get(f"province_name_{'nl' if lang == 'nl' else 'fr'}")
    region = row[f"region_name_{'nl' if lang == 'nl' else 'fr'}"]
    facts = [f'{e(text("nis_code", lang))} <span id="nis">{e(row["nis_code"])}</span>']
    if isinstance(province, str) and province:
        facts.append(f'{e(text("province", lang))}: {e(province)}')
    facts.append(f'{e(text("region", lang))}: {e(region)}')
    if others:
        facts.append(f'{e(text("other_names", lang))}: {e(" / ".join(dict.fromkeys(others)))}')
    return f'<h1 id="commune-name">{e(name)}</h1><p class="muted">{" · ".join(facts)}</p>'


def _index_section(data: ReleaseData, tables: CommuneTables, nis: str, lang: str) -> str:
    rows = tables.index.get(nis)
    if not rows:
        return ""
    editions, shapes = tables.shared(nis, "index", lambda: _index_editions(data, tables, rows))
    body = []
    for year, score, rank, scored, interval, reason in editions:
        body.append([
            str(year),
            f'<span data-score-year="{year}">{in_language(score, lang)}</span>' if score is not None else e(text("no_score", lang)),
            (in_language(rank, lang) + " " + e(text("of_communes", lang, n=in_language(scored, lang)))) if rank is not None else "–",
            in_language(interval, lang),
            e(reason) if score is None and reason else "",
        ])
    headers = [(text("edition", lang), False), (text("score", lang), True), (text("rank", lang), True),
               (text("interval", lang), True), (text("reason", lang), False)]
    chart = titled_rank_chart(shapes, text("rank_chart_alt", lang))
    return (
        f'<section id="index"><h2>{e(text("index_title", lang))}</h2><p>{e(text("index_intro", lang))}</p>{chart}'
        + table(headers, body, attrs=' id="index-table"') + "</section>"
    )


def _index_editions(data: ReleaseData, tables: CommuneTables, rows: list[dict]) -> tuple[list[tuple], str | None]:
    """Each edition's year, score, rank, communes scored and rank interval in English (None for
    what the edition lacks), and the rank chart's shapes."""
    editions, points = [], []
    for r in rows:
        year, score, rank, p05, p95 = r["year"], r["score"], r["rank"], r["rank_p05"], r["rank_p95"]
        interval = f"{format_number(p05, 'en')}–{format_number(p95, 'en')}" if p05 is not None and p95 is not None else "–"
        editions.append((
            year,
            format_number(score, "en", 1) if score is not None else None,
            format_number(rank, "en") if rank is not None else None,
            format_number(tables.scored.get(year), "en"),
            interval,
            r["reason"],
        ))
        points.append((int(year), int(rank) if rank is not None else None, p05, p95))
    return editions, rank_chart_shapes(points, len(data.communes))


def _domains_section(data: ReleaseData, tables: CommuneTables, nis: str, lang: str) -> str:
    rows = tables.domains.get(nis)
    if not rows:
        return ""
    year = max(r["year"] for r in rows)
    latest = sorted((r for r in rows if r["year"] == year and r["contribution"] is not None), key=lambda r: -r["contribution"])
    if not latest:
        return ""
    top = max(max(r["contribution"] for r in latest), 1e-9)
    body = [
        [
            e(data.label("domain", r["domain"], lang)),
            format_number(r["weight"], lang, 1) + "\u00a0%",
            format_number(r["contribution"], lang, 1),
            f'<span class="bar" style="width:{max(r["contribution"], 0) / top * 8:.2f}em" aria-hidden="true"></span>',
        ]
        for r in latest
    ]
    total = sum(r["contribution"] for r in latest)
    body.append([f"<strong>{e(text('total', lang))}</strong>", "", f"<strong>{format_number(total, lang, 1)}</strong>", ""])
    headers = [(text("domain", lang), False), (text("weight", lang), True), (text("contribution", lang), True), ("", False)]
    return (
        f'<section id="domains"><h2>{e(text("domains_title", lang, year=year))}</h2>'
        + table(headers, body) + "</section>"
    )


def _flag_labels(data: ReleaseData, flags: str, treatments: list[str], lang: str) -> str:
    shown = [data.label("flags", f, lang) for f in (flags or "").split(",") if f]
    shown += [data.label("treatment", t, lang) for t in treatments]
    return "".join(f'<span class="flag">{e(s)}</span>' for s in dict.fromkeys(shown))


def _indicators_section(data: ReleaseData, tables: CommuneTables, nis: str, region: str, lang: str) -> str:
    if not tables.indicators.get(nis):
        return ""
    indicator_rows, all_years, used = tables.shared(nis, "indicators", lambda: _indicator_rows(data, tables, nis, region))
    rows: list[str] = []
    history: list[str] = []
    for r in indicator_rows:
        name = data.indicator_name(r.indicator, lang)
        treatments = sorted(tables.treatments.get((nis, r.indicator), []))
        rows.append(
            f'<tr data-indicator="{e(r.indicator)}"><th scope="row">{e(name)} <span class="muted">({e(unit_label(r.unit, lang))})</span></th>'
            f'{in_language(r.numbers, lang)}'
            f'<td>{titled_sparkline(r.shapes, name)}</td>'
            f'<td>{_flag_labels(data, r.flags, treatments, lang)}</td></tr>'
        )
        history.append(f'<tr><th scope="row">{e(name)}</th>{in_language(r.history, lang).replace(_MARK_COMMA, ",")}</tr>')
    headers = "".join(
        f'<th scope="col"{cls}>{e(text(k, lang))}</th>'
        for k, cls in (("indicator", ""), ("value", ' class="n"'), ("period", ""), ("region_median", ' class="n"'),
                       ("belgium_median", ' class="n"'), ("trend", ""), ("flags", ""))
    )
    year_headers = "".join(f'<th scope="col" class="n">{y}</th>' for y in all_years)
    return (
        f'<section id="indicators"><h2>{e(text("indicators_title", lang))}</h2><p>{e(text("indicators_intro", lang))}</p>'
        f'<p class="muted">{e(text("trend_key", lang))}</p>'
        f'<table id="indicator-table"><thead><tr>{headers}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
        f'<details><summary>{e(text("history_title", lang))}</summary>'
        f'<table id="indicator-history"><thead><tr><th scope="col">{e(text("indicator", lang))}</th>{year_headers}</tr></thead>'
        f'<tbody>{"".join(history)}</tbody></table><p class="muted">{_flag_key(data, used, lang)}</p></details></section>'
    )


def _flag_marks(flags: str, used: dict[str, int], comma: str = ",") -> str:
    """Flags in the year-by-year table as numbers (1, 2, ...), explained once under the table."""
    return comma.join(str(used.setdefault(f, len(used) + 1)) for f in flags.split(",") if f)


def _flag_key(data: ReleaseData, used: dict[str, int], lang: str) -> str:
    return " · ".join(f"<sup>{n}</sup> {e(data.label('flags', f, lang))}" for f, n in used.items())


def _fund_section(data: ReleaseData, tables: CommuneTables, nis: str, lang: str) -> str:
    rows = tables.fund.get(nis)
    title = f'<section id="fund"><h2>{e(text("fund_title", lang))}</h2>'
    if not rows or not data.fund_years:
        return title + f'<p>{e(text("fund_none", lang))}</p></section>'
    reason_column = "reason" if lang == "en" else f"reason_{lang}"
    latest = rows[-1]
    year = int(latest["year"])
    summary = (
        f'<p><span class="status" id="fund-status">{e(data.label("status", latest["status"], lang))}</span> ({year}): '
        f'{e(latest[reason_column])}</p>'
    )
    body = [
        [
            str(int(r["year"])),
            e(data.label("status", r["status"], lang)),
            format_euros(int(r["amount_cents"]), lang),
            format_euros(round(r["per_inhabitant"] * 100) if r["per_inhabitant"] is not None else None, lang),
            format_number(r["population"], lang),
            format_percent(r["eligibility_probability"], lang, 0),
        ]
        for r in rows
    ]
    years_table = table(
        [(text("year", lang), False), (text("status", lang), False), (text("paid", lang), True),
         (text("per_inhabitant", lang), True), (text("population", lang), True), (text("probability", lang), True)],
        body, attrs=' id="fund-table"',
    )
    current = [r for r in tables.allocation.get(nis, []) if r["year"] == year]
    lines_html = ""
    if current:
        lines_html = f"<h3>{e(text('lines_title', lang, year=year))}</h3>" + table(
            [(text("budget_line", lang), False), (text("paid", lang), True)],
            [[e(data.label("budget_line", r["budget_line"], lang)), format_euros(int(r["amount_cents"]), lang)] for r in current]
            + [[f"<strong>{e(text('total', lang))}</strong>", f"<strong>{format_euros(sum(int(r['amount_cents']) for r in current), lang)}</strong>"]],
            attrs=' id="fund-lines"',
        )
    return title + summary + years_table + lines_html + "</section>"


def _explanation_section(tables: CommuneTables, nis: str, lang: str) -> str:
    try:
        lines = tables.texts.lines(nis, lang=lang)
    except CohesionError as exc:  # a commune without any edition: say why, as the command does
        lines = [str(exc)]
    paragraphs = "".join(f"<p>{e(line)}</p>" for line in lines)
    return f'<section id="explanation" class="explain"><h2>{e(text("explanation_title", lang))}</h2>{paragraphs}</section>'


def _former_section(data: ReleaseData, tables: CommuneTables, nis: str, lang: str) -> str:
    rows = tables.former.get(nis)
    if not rows:
        return ""
    name_column = "former_name_nl" if lang == "nl" else "former_name_fr"
    body = [
        [e(r[name_column]), e(r["former_code"]), e(data.label("change", r["change"], lang)), e(r["effective_date"])]
        for r in rows
    ]
    return (
        f'<section id="former"><h2>{e(text("former_title", lang))}</h2><p>{e(text("former_intro", lang))}</p>'
        + table([(text("commune", lang), False), (text("nis_code", lang), False), (text("change", lang), False),
                 (text("date", lang), False)], body)
        + "</section>"
    )


def _raw_section(data: ReleaseData, lang: str) -> str:
    # The release's exports sit beside the site: releases/<id>/exports/ next to releases/<id>/site/.
    links = "".join(
        f'<li><code>{t}</code>: <a href="../../../exports/csv/{t}.csv">CSV</a> · '
        f'<a href="../../../exports/parquet/{t}.parquet">Parquet</a></li>'
        for t in RAW_TABLES if t in data.tables
    )
    return f'<section id="raw"><h2>{e(text("raw_title", lang))}</h2><p>{e(text("raw_intro", lang))}</p><ul>{links}</ul></section>'


def commune_page(data: ReleaseData, tables: CommuneTables, frame: Frame, nis: str, lang: str) -> str:
    row = data.commune_rows[nis]
    body = (
        _identity(data, row, lang)
        + _index_section(data, tables, nis, lang)
        + _domains_section(data, tables, nis, lang)
        + _fund_section(data, tables, nis, lang)
        + _explanation_section(tables, nis, lang)
        + _indicators_section(data, tables, nis, row["region_code"], lang)
        + _former_section(data, tables, nis, lang)
        + _raw_section(data, lang)
    )
    return page(frame, lang=lang, depth=2, path_in_lang=f"c/{nis}.html", title=data.commune_name(nis, lang), body=body)
