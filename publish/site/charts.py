"""Small server-side SVG charts. Each is an image with a text alternative and sits beside a table
holding the same numbers, so a screen reader (or a reader who prefers numbers) loses nothing."""

from __future__ import annotations

from functools import lru_cache

from publish.site.html import e

INK, BAND, REGION, BELGIUM = "#3b528b", "#c6d4ee", "#21918c", "#555555"


_RANK_WIDTH, _RANK_HEIGHT = 560, 190


def rank_chart(points: list[tuple[int, int | None, int | None, int | None]], communes: int, alt: str) -> str:
    """The rank of each edition (1 = most need, drawn at the top) within its 90% interval.
    ``points``: (edition, rank, p05, p95)."""
    return titled_rank_chart(rank_chart_shapes(points, communes), alt)


def titled_rank_chart(shapes: str | None, alt: str) -> str:
    """A rank chart from its shapes (``rank_chart_shapes``) and its text alternative."""
    if shapes is None:
        return ""
    return (
        f'<svg class="chart" viewBox="0 0 {_RANK_WIDTH} {_RANK_HEIGHT}" width="{_RANK_WIDTH}" height="{_RANK_HEIGHT}" '
        f'role="img" aria-label="{e(alt)}"><title>{e(alt)}</title>{shapes}</svg>'
    )


def rank_chart_shapes(points: list[tuple[int, int | None, int | None, int | None]], communes: int) -> str | None:
    """The axis, band, line and ticks of a rank chart, the same in every language (None when no
    edition has a rank)."""
    usable = [p for p in points if p[1] is not None]
    if not usable:
        return None
    width, height, left, right, top, bottom = _RANK_WIDTH, _RANK_HEIGHT, 44, 16, 12, 28
    years = [p[0] for p in points]
    span = max(len(years) - 1, 1)

    def x(year: int) -> float:
        return left + (years.index(year) / span) * (width - left - right) if len(years) > 1 else (left + width - right) / 2

    # The axis ends a little below the commune's worst interval, so that a band of a few ranks
    # stays visible; it never ends beyond the number of communes.
    worst = max(max(p[3] if p[3] is not None else p[1] for p in usable), 2)
    bottom_rank = min(communes, next((n for n in (10, 20, 50, 100, 200, 300, 400, 500) if n >= worst * 1.2), communes))

    def y(rank: float) -> float:
        return top + (rank - 1) / max(bottom_rank - 1, 1) * (height - top - bottom)

    band_points = [p for p in usable if p[2] is not None and p[3] is not None]
    band = ""
    if band_points:
        outline = [(x(p[0]), y(p[2])) for p in band_points] + [(x(p[0]), y(p[3])) for p in reversed(band_points)]
        if len(band_points) == 1:  # one edition: the interval as a bar
            cx = outline[0][0]
            outline = [(cx - 6, outline[0][1]), (cx + 6, outline[0][1]), (cx + 6, outline[1][1]), (cx - 6, outline[1][1])]
        band = f'<polygon points="{" ".join(f"{a:.1f},{b:.1f}" for a, b in outline)}" fill="{BAND}"/>'
    line = " ".join(f"{x(p[0]):.1f},{y(p[1]):.1f}" for p in usable)
    dots = "".join(f'<circle cx="{x(p[0]):.1f}" cy="{y(p[1]):.1f}" r="3.5" fill="{INK}"/>' for p in usable)
    ticks = "".join(
        f'<text x="{x(year):.1f}" y="{height - 8}" text-anchor="middle" font-size="12">{year}</text>' for year in years
    )
    axis = "".join(
        f'<text x="{left - 6}" y="{y(r) + 4:.1f}" text-anchor="end" font-size="11">{r}</text>'
        f'<line x1="{left}" x2="{width - right}" y1="{y(r):.1f}" y2="{y(r):.1f}" stroke="#e5e5e5"/>'
        for r in sorted({1, (bottom_rank + 1) // 2, bottom_rank})
    )
    return f'{axis}{band}<polyline points="{line}" fill="none" stroke="{INK}" stroke-width="2"/>{dots}{ticks}'


def _coordinate(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def sparkline(series: list[list[tuple[int, float | None]]], years: list[int], name: str) -> str:
    """Up to three lines over the same years: the commune (solid), its region (dashes), Belgium
    (dots), with gaps where a value is missing. Its name is the indicator's: the page states the
    key once, and the year-by-year table holds the values."""
    return titled_sparkline(sparkline_shapes(series, years), name)


def titled_sparkline(shapes: str | None, name: str) -> str:
    """A sparkline from its shapes (``sparkline_shapes``) and its name, in the page's language."""
    if shapes is None:
        return ""
    return (
        f'<svg class="spark" viewBox="0 0 {_SPARK_WIDTH} {_SPARK_HEIGHT}" width="{_SPARK_WIDTH}" height="{_SPARK_HEIGHT}" role="img">'
        f"<title>{e(name)}</title>{shapes}</svg>"
    )


_SPARK_WIDTH, _SPARK_HEIGHT, _SPARK_PAD = 150, 34, 3
_SPARK_STYLES = ((INK, "", 2), (REGION, ' stroke-dasharray="4 2"', 1.3), (BELGIUM, ' stroke-dasharray="1 2"', 1.3))


@lru_cache(maxsize=64)
def _spark_xs(years: tuple[int, ...]) -> dict[int, str]:
    """x of each year, as pad + (position / (n - 1)) * (width - 2 * pad) (the first year's position
    when a year comes twice, as list.index gives it); most communes have the same years."""
    last = max(len(years) - 1, 1)
    xs: dict[int, str] = {}
    for position, year in enumerate(years):
        if year not in xs:
            xs[year] = _coordinate(_SPARK_PAD + (position / last) * (_SPARK_WIDTH - 2 * _SPARK_PAD))
    return xs


def sparkline_shapes(series: list[list[tuple[int, float | None]]], years: list[int]) -> str | None:
    """The lines of a sparkline, the same in every language (None when there is nothing to draw):
    a commune's page draws them once for its three languages."""
    values = [v for line in series for _, v in line if v is not None]
    if not values or not years:
        return None
    width, height, pad = _SPARK_WIDTH, _SPARK_HEIGHT, _SPARK_PAD
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    xs = _spark_xs(tuple(years))
    # y as height - pad - (value - low) / span * (height - 2 * pad), written inline: a page draws
    # 200,000 points.
    top, inner = height - pad, height - 2 * pad
    drawn = []
    for line, (colour, dash, stroke) in zip(series, _SPARK_STYLES):
        runs: list[list[str]] = [[]]
        for year, value in line:
            if value is None:
                runs.append([])
            else:
                runs[-1].append(f"{xs[year]},{f'{top - (value - low) / span * inner:.1f}'.removesuffix('.0')}")
        for run in runs:
            if len(run) == 1:
                cx, cy = run[0].split(",")
                drawn.append(f'<circle cx="{cx}" cy="{cy}" r="1.8" fill="{colour}"/>')
            elif run:
                drawn.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" stroke-width="{stroke}"{dash}/>')
    return "".join(drawn)
