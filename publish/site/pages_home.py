"""The home page: the choropleth of the 565 communes with its selector, legend, tooltip, search and
table, and the map's data file shared by the three languages (assets/mapdata.js)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import pandas as pd

from publish.site.data import DECIMALS, FUND_STATUSES, ReleaseData, display_value
from publish.site.html import Frame, e, page
from publish.site.i18n import text, unit_label
from publish.site.mapsvg import map_shapes
from publish.site.numbers import format_number

SEQUENTIAL = ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154")  # viridis: light = low, dark = high
# Okabe & Ito's colour-blind-safe palette for the fund's statuses; grey for communes outside it.
STATUS_COLOURS = {"entering": "#e69f00", "in_fund": "#0072b2", "staying": "#56b4e9", "leaving": "#d55e00", "out": "#dddddd"}
CLASSES = len(SEQUENTIAL)


@dataclass(frozen=True)
class Measure:
    id: str
    kind: str  # "seq" (classes of a number) or "cat" (a code)
    decimals: int
    unit: str  # the dictionary's unit ("" for a code or a score)
    years: dict[int, list]  # year -> one value per commune, in the communes' order

    def name(self, data: ReleaseData, lang: str) -> str:
        if self.id.startswith("ind:"):
            return data.indicator_name(self.id[4:], lang)
        return text(f"measure_{self.id}", lang)

    def unit_text(self, lang: str) -> str:
        return unit_label(self.unit, lang) if self.unit else ""


def class_breaks(values: list[float], decimals: int) -> list[float]:
    """Upper bounds of up to five classes of equal counts (quintiles), at the shown precision."""
    present = sorted(v for v in values if v is not None)
    if not present:
        return []
    cuts = [present[min(len(present) - 1, math.ceil(len(present) * k / CLASSES) - 1)] for k in range(1, CLASSES)]
    return sorted({round(c, decimals) for c in cuts if round(c, decimals) < round(present[-1], decimals)})


def class_of(value: float, breaks: list[float]) -> int:
    for position, bound in enumerate(breaks):
        if value <= bound:
            return position
    return len(breaks)


def _aligned(frame: pd.DataFrame, codes: list[str], column: str, convert) -> dict[int, list]:
    years = {}
    for year, rows in frame.groupby("year"):
        by_code = dict(zip(rows["nis_code"].tolist(), rows[column].tolist()))
        years[int(year)] = [convert(by_code.get(code)) for code in codes]
    return years


def measures(data: ReleaseData) -> list[Measure]:
    codes = list(data.communes["nis_code"])

    def number(decimals: int):
        return lambda v: None if v is None or (v != v if v.__class__ is float else pd.isna(v)) else round(float(v), decimals)

    index = data.index.assign(width=data.index["rank_p95"] - data.index["rank_p05"])
    found = [
        Measure("score", "seq", 1, "", _aligned(index, codes, "score", number(1))),
        Measure("interval", "seq", 0, "", _aligned(index, codes, "width", number(0))),
    ]
    if len(data.fund) and data.fund_years:
        fund = data.fund[data.fund["year"].isin(data.fund_years)]
        found.append(Measure("status", "cat", 0, "", _aligned(fund, codes, "status", lambda v: v)))
        found.append(Measure("per_inhabitant", "seq", 2, "", _aligned(fund, codes, "per_inhabitant", number(2))))
    for indicator, info in data.indicator_info.items():
        rows = data.indicators[data.indicators["indicator"] == indicator]
        if rows["value"].notna().any():
            unit, decimals = info["unit"], DECIMALS.get(info["unit"], 2)
            shown = rows.assign(shown=[display_value(v, unit) for v in rows["value"].tolist()])
            found.append(Measure(f"ind:{indicator}", "seq", decimals, unit, _aligned(shown, codes, "shown", number(decimals))))
    return found


def map_data_script(data: ReleaseData, found: list[Measure]) -> str:
    """assets/mapdata.js: the communes (names for the search) and every measure's values and
    classes, loaded with a script tag so that the map works from file:// too."""
    payload = {
        "communes": [
            {"nis": r["nis_code"], "fr": r["name_fr"], "nl": r["name_nl"], "de": r["name_de"] if isinstance(r["name_de"], str) else ""}
            for r in data.communes.to_dict("records")
        ],
        "colours": STATUS_COLOURS,
        "measures": {
            m.id: {
                "kind": m.kind,
                "decimals": m.decimals,
                **({"categories": list(FUND_STATUSES)} if m.kind == "cat" else {}),
                "years": {
                    str(year): (
                        {"v": values}
                        if m.kind == "cat"
                        else {
                            "v": values,
                            "b": class_breaks(values, m.decimals),
                            "min": min((v for v in values if v is not None), default=None),
                            "max": max((v for v in values if v is not None), default=None),
                        }
                    )
                    for year, values in sorted(m.years.items())
                },
            }
            for m in found
        },
    }
    return "window.COHESION_DATA = " + json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + ";\n"


def _value_text(data: ReleaseData, measure: Measure, value, lang: str) -> str:
    if value is None:
        return text("no_data", lang)
    if measure.kind == "cat":
        return data.label("status", value, lang)
    unit = measure.unit_text(lang)
    return format_number(value, lang, measure.decimals) + (f"\u00a0{unit}" if unit else "")


def _fill(measure: Measure, values: list, position: int, breaks: list[float]) -> str:
    value = values[position]
    if value is None:
        return "url(#nodata)"
    if measure.kind == "cat":
        return STATUS_COLOURS.get(value, "#999999")
    return SEQUENTIAL[class_of(value, breaks)]


def home_page(data: ReleaseData, frame: Frame, found: list[Measure], lang: str) -> str:
    shapes = map_shapes()
    # Shown first: the index score of the latest edition (or the first measure that has a year).
    score = next(m for m in found if m.years)
    year = max(score.years)
    values = score.years[year]
    breaks = class_breaks(values, score.decimals)
    codes = list(data.communes["nis_code"])
    names = [data.commune_name(code, lang) for code in codes]
    options = "".join(
        f'<option value="{e(m.id)}"{" selected" if m is score else ""}>{e(m.name(data, lang))}</option>'
        for m in found if m.years and not m.id.startswith("ind:")
    )
    options += f'<optgroup label="{e(text("indicators", lang))}">' + "".join(
        f'<option value="{e(m.id)}"{" selected" if m is score else ""}>{e(m.name(data, lang))}</option>'
        for m in found if m.years and m.id.startswith("ind:")
    ) + "</optgroup>"
    paths = "".join(
        f'<path d="{shapes.paths[code]}" data-nis="{code}" tabindex="0" fill="{_fill(score, values, i, breaks)}" '
        f'aria-label="{e(names[i])}: {e(_value_text(data, score, values[i], lang))}"><title>{e(names[i])}</title></path>'
        for i, code in enumerate(codes)
    )
    svg = (
        f'<svg class="map" viewBox="{shapes.view_box}" role="group" aria-label="{e(text("map_caption", lang))}">'
        '<defs><pattern id="nodata" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="4" height="4" fill="#fff"/><rect width="1.5" height="4" fill="#bbb"/></pattern></defs>'
        f"{paths}</svg>"
    )
    rows = "".join(
        f'<tr data-nis="{code}"><td><a href="c/{code}.html">{e(names[i])}</a></td><td>{code}</td>'
        f'<td class="n">{e(_value_text(data, score, values[i], lang))}</td></tr>'
        for i, code in enumerate(codes)
    )
    labels = {
        "no_data": text("no_data", lang),
        "no_match": text("no_match", lang),
        "categories": {s: data.label("status", s, lang) for s in FUND_STATUSES},
        "measures": {m.id: {"name": m.name(data, lang), "unit": m.unit_text(lang)} for m in found},
    }
    # "</" inside a script element would end it early.
    labels_json = json.dumps(labels, ensure_ascii=False).replace("</", "<\\/")
    present = [v for v in values if v is not None] or [None]
    legend = "".join(
        f'<span><span class="sw" style="background:{SEQUENTIAL[i]}"></span>'
        f"{'' if i == 0 else '&gt; '}{format_number(([min(present)] + breaks)[i], lang, score.decimals)}"
        f" – {format_number((breaks + [max(present)])[i], lang, score.decimals)}</span>"
        for i in range(len(breaks) + 1)
    )
    body = (
        f'<h1>{e(text("site_title", lang))}</h1>'
        f'<div class="controls"><label>{e(text("show", lang))} <select id="measure">{options}</select></label>'
        f'<label>{e(text("edition_year", lang))} <select id="year"><option value="{year}">{year}</option></select></label>'
        f'<label>{e(text("search", lang))} <input id="search" type="search" autocomplete="off"></label></div>'
        '<ul id="search-results" aria-live="polite"></ul>'
        f'<p class="muted">{e(text("map_caption", lang))}</p>'
        f'<div id="legend"><strong>{e(score.name(data, lang))}, {year}</strong>{legend}'
        f'<span><span class="sw nodata"></span>{e(text("no_data", lang))}</span></div>'
        f'<div class="mapwrap">{svg}<div id="tooltip" role="status"></div></div>'
        f'<details><summary>{e(text("map_table", lang))}</summary><table><thead><tr><th scope="col">{e(text("commune", lang))}</th>'
        f'<th scope="col">{e(text("nis_code", lang))}</th><th scope="col" class="n" id="map-table-value">{e(score.name(data, lang))}, {year}</th>'
        f'</tr></thead><tbody id="map-table-body">{rows}</tbody></table></details>'
        f'<script type="application/json" id="labels">{labels_json}</script>'
    )
    return page(
        frame, lang=lang, depth=1, path_in_lang="index.html", title=text("home", lang), body=body,
        scripts=("assets/mapdata.js", "assets/site.js"), body_attrs=f' data-year="{year}"',
    )
