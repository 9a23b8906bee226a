"""The release site as a reader gets it, checked in its HTML: built with the release, published
with it, and saying what the published tables say (the browser test drives it in Chromium)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from cli.explain import explain
from publish.site.numbers import format_euros, format_number
from fixtures.site import published_file, published_site, query

pytestmark = pytest.mark.e2e

SAINT_GILLES = "21013"


def _text(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def _section(page_html: str, section_id: str) -> str:
    return page_html.split(f'<section id="{section_id}"', 1)[1].split("</section>", 1)[0]


def _strip(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def test_the_published_release_has_its_site_with_every_page(sample_run):
    assert sample_run.success, sample_run.report["reason"]
    site = published_site(sample_run.data_dir)
    for lang in ("fr", "nl", "en"):
        assert len(list((site / lang / "c").glob("*.html"))) == 565
        assert (site / lang / "index.html").exists() and (site / lang / "method.html").exists()
    assert (site / "index.html").exists() and (site / "assets" / "mapdata.js").exists()
    report = sample_run.report["site"]
    assert report["pages"] == 3 * 565 + 3 * 2 + 1
    assert 0 < report["size_mb"] < 150
    assert report["build_seconds"] < 60 and report["slowest_page_seconds"] < 15


def test_every_page_says_the_data_is_the_synthetic_sample(sample_run):
    site = published_site(sample_run.data_dir)
    assert query(sample_run.data_dir, "select data_origin from _release") == [("synthetic sample",)]
    for page in (site / "index.html", site / "fr" / "index.html", site / "nl" / "c" / f"{SAINT_GILLES}.html", site / "en" / "method.html"):
        assert 'id="synthetic-banner"' in _text(page)
    assert "synthetic sample" in _text(site / "fr" / "index.html")


def test_home_map_draws_565_communes_coloured_by_the_latest_score(sample_run):
    page = _text(published_site(sample_run.data_dir) / "fr" / "index.html")
    shapes = re.findall(r'<path d="[^"]+" data-nis="(\d{5})" tabindex="0" fill="([^"]+)" aria-label="([^"]+)"', page)
    assert len(shapes) == 565
    assert len({code for code, _, _ in shapes}) == 565
    (year,) = query(sample_run.data_dir, "select max(year) from cohesion_index")[0]
    (score,) = query(sample_run.data_dir, "select score from cohesion_index where nis_code = ? and year = ?", [SAINT_GILLES, year])[0]
    label = {code: html.unescape(label) for code, _, label in shapes}[SAINT_GILLES]
    assert label == f"Saint-Gilles: {format_number(score, 'fr', 1)}"
    assert "http://" not in page.split("<main>")[0] and "https://" not in page


def test_map_data_agrees_with_the_published_tables(sample_run):
    script = _text(published_site(sample_run.data_dir) / "assets" / "mapdata.js")
    data = json.loads(script.removeprefix("window.COHESION_DATA = ").rstrip().removesuffix(";"))
    position = [c["nis"] for c in data["communes"]].index(SAINT_GILLES)
    rows = query(sample_run.data_dir, "select year, score from cohesion_index where nis_code = ?", [SAINT_GILLES])
    assert {int(y): v["v"][position] for y, v in data["measures"]["score"]["years"].items()} == {
        y: round(s, 1) for y, s in rows
    }
    statuses = dict(query(sample_run.data_dir, "select year, status from fund_transitions where nis_code = ?", [SAINT_GILLES]))
    assert {int(y): v["v"][position] for y, v in data["measures"]["status"]["years"].items()} == statuses
    paid = query(
        sample_run.data_dir,
        "select p.year, coalesce(sum(a.amount_cents), 0) / 100 / p.population from commune_population p "
        "left join fund_allocation a using (nis_code, year) where p.nis_code = ? and p.year in (select year from fund_editions where computed) "
        "group by p.year, p.population",
        [SAINT_GILLES],
    )
    assert {int(y): v["v"][position] for y, v in data["measures"]["per_inhabitant"]["years"].items()} == {
        y: round(v, 2) for y, v in paid
    }
    (share,) = query(
        sample_run.data_dir,
        "select value from commune_indicators where nis_code = ? and indicator = 'share_non_belgian' and year = 2025",
        [SAINT_GILLES],
    )[0]
    # Shares are shown as percentages.
    assert data["measures"]["ind:share_non_belgian"]["years"]["2025"]["v"][position] == round(share * 100, 1)


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_commune_page_shows_the_index_of_every_edition(sample_run, lang):
    page = _text(published_site(sample_run.data_dir) / lang / "c" / f"{SAINT_GILLES}.html")
    rows = query(sample_run.data_dir, "select year, score, rank from cohesion_index where nis_code = ? order by year", [SAINT_GILLES])
    for year, score, _ in rows:
        assert f'<span data-score-year="{year}">{format_number(score, lang, 1)}</span>' in page
    table = _strip(page.split('id="index-table"', 1)[1].split("</table>", 1)[0])
    p05, p95 = query(
        sample_run.data_dir, "select rank_p05, rank_p95 from cohesion_index_uncertainty where nis_code = ? order by year desc limit 1",
        [SAINT_GILLES],
    )[0]
    assert f"{format_number(p05, lang)}–{format_number(p95, lang)}" in table


def test_commune_page_shows_the_fund_in_words_and_euros(sample_run):
    page = _text(published_site(sample_run.data_dir) / "nl" / "c" / f"{SAINT_GILLES}.html")
    fund = _strip(_section(page, "fund"))
    year, status, reason_nl = query(
        sample_run.data_dir,
        "select year, status, reason_nl from fund_transitions where nis_code = ? "
        "and year in (select year from fund_editions where computed) order by year desc limit 1",
        [SAINT_GILLES],
    )[0]
    (label,) = query(sample_run.data_dir, "select label_nl from value_labels where column_name = 'status' and value = ?", [status])[0]
    assert f"{label} ({year}): {reason_nl}" in fund
    lines = query(
        sample_run.data_dir, "select budget_line, amount_cents from fund_allocation where nis_code = ? and year = ?", [SAINT_GILLES, year]
    )
    for line, cents in lines:
        (line_label,) = query(sample_run.data_dir, "select label_nl from value_labels where column_name = 'budget_line' and value = ?", [line])[0]
        assert f"{line_label}{format_euros(cents, 'nl')}" in fund
    (population,) = query(sample_run.data_dir, "select population from commune_population where nis_code = ? and year = ?", [SAINT_GILLES, year])[0]
    total = sum(c for _, c in lines)
    assert format_euros(total, "nl") in fund
    assert format_euros(round(total / population), "nl") in fund  # per inhabitant


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_commune_page_says_the_sentences_of_cohesion_explain(sample_run, lang):
    page = _text(published_site(sample_run.data_dir) / lang / "c" / f"{SAINT_GILLES}.html")
    said = [html.unescape(p) for p in re.findall(r"<p>(.*?)</p>", _section(page, "explanation"))]
    assert said == explain(published_file(sample_run.data_dir), SAINT_GILLES, lang=lang)


def test_merged_commune_lists_its_former_communes(sample_run):
    page = _text(published_site(sample_run.data_dir) / "fr" / "c" / "11002.html")
    former = _strip(_section(page, "former"))
    assert "Borsbeek" in former and "11007" in former
    assert "fusionnée avec d'autres communes" in former


def test_indicators_show_their_period_flags_and_links_to_the_raw_numbers(sample_run):
    page = _text(published_site(sample_run.data_dir) / "en" / "c" / f"{SAINT_GILLES}.html")
    (year, value) = query(
        sample_run.data_dir,
        "select year, value from commune_indicators where nis_code = ? and indicator = 'unemployment_rate' "
        "and value is not null order by year desc limit 1",
        [SAINT_GILLES],
    )[0]
    row = page.split('data-indicator="unemployment_rate"', 1)[1].split("</tr>", 1)[0]
    assert f'<td class="n">{format_number(value, "en", 1)}</td><td>{year}</td>' in row
    flagged = query(
        sample_run.data_dir,
        "select nis_code from commune_indicators where flags like '%proxy%' and value is not null limit 1",
    )
    if flagged:
        assert "an approximation" in _text(published_site(sample_run.data_dir) / "en" / "c" / f"{flagged[0][0]}.html")
    raw = _section(page, "raw")
    site = published_site(sample_run.data_dir)
    for link in re.findall(r'href="([^"]+)"', raw):
        assert (site / "en" / "c" / link).resolve().exists(), link


def test_method_page_lists_sources_checks_editions_and_dictionary(sample_run):
    page = _text(published_site(sample_run.data_dir) / "fr" / "method.html")
    for (sha,) in query(sample_run.data_dir, "select sha256 from _sources"):
        assert sha in page
    passed, total = query(sample_run.data_dir, "select count(*) filter (where passed), count(*) from _quality")[0]
    assert f"{passed} contrôles réussis sur {total}." in page
    assert page.count("<tr>", page.index('id="editions-table"'), page.index("</table>", page.index('id="editions-table"'))) - 1 == query(
        sample_run.data_dir, "select count(*) from index_editions"
    )[0][0]
    methodology, rules = query(sample_run.data_dir, "select methodology_version, rules_version from _release")[0]
    assert f'<span id="methodology_version">{methodology}</span>' in page and f'<span id="rules_version">{rules}</span>' in page
    for (description,) in query(sample_run.data_dir, "select description_fr from _data_dictionary where table_name = 'cohesion_index'"):
        assert html.escape(description, quote=True) in page


def test_the_site_loads_nothing_from_outside(sample_run):
    site = published_site(sample_run.data_dir)
    pages = [site / "index.html", *site.glob("*/index.html"), *site.glob("*/method.html"), *list(site.glob("*/c/*.html"))[:50]]
    for page in pages:
        content = _text(page)
        # Links to a source's address are for reading; nothing is loaded from anywhere but the site.
        assert not re.search(r'<(script|img|link|iframe)[^>]+(src|href)="(https?:)?//', content), page
        assert "@import" not in content and "url(http" not in content
    for asset in (site / "assets").iterdir():
        assert not re.search(r"https?://(?!www.w3.org/2000/svg)", _text(asset)), asset  # a namespace is no request
