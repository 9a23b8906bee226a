"""Pieces of the release site that need no release: words in every language, map classes, the
map's shapes, the local server."""

from __future__ import annotations

import threading
import urllib.request

import pytest

from ingestion.errors import CohesionError
from publish.site import i18n
from publish.site.mapsvg import map_shapes
from publish.site.pages_home import class_breaks, class_of
from publish.site.serve import HOST, make_server, published_release_dir


def test_every_sentence_of_the_site_exists_in_french_dutch_and_english():
    assert i18n.missing_keys() == []
    assert i18n.text("of_communes", "nl", n="564") == "op 564"


def test_quintile_classes_put_a_fifth_of_the_communes_in_each():
    values = [float(v) for v in range(1, 101)]
    breaks = class_breaks(values, 1)
    assert breaks == [20.0, 40.0, 60.0, 80.0]
    assert [sum(1 for v in values if class_of(v, breaks) == k) for k in range(5)] == [20] * 5
    # Ties and missing values: never a class boundary above the largest value, NULLs ignored.
    assert class_breaks([1.0, 1.0, 1.0, None, 2.0], 0) == [1.0]
    assert class_breaks([None, None], 1) == []


def test_map_has_a_closed_path_for_every_commune_inside_the_frame():
    shapes = map_shapes()
    assert len(shapes.paths) == 565
    assert all(path.startswith("M") and path.endswith("z") for path in shapes.paths.values())
    assert shapes.width == 800 and 500 < shapes.height < 800  # Belgium is wider than tall


def test_server_listens_on_this_machine_only_and_sends_readers_to_the_site(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<p>site</p>", encoding="utf-8")
    server = make_server(tmp_path, 0)
    assert server.server_address[0] == HOST == "127.0.0.1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://{HOST}:{server.server_address[1]}/") as response:
            assert response.url.endswith("/site/index.html")
            assert response.read() == b"<p>site</p>"
    finally:
        server.shutdown()
        server.server_close()


def test_serving_without_a_published_release_says_what_to_do(tmp_path):
    with pytest.raises(CohesionError, match=r"no published release at .*: run `make run` first"):
        published_release_dir(tmp_path / "published" / "cohesion.duckdb", tmp_path / "releases")


def test_cohesion_serve_fails_in_one_line_when_nothing_is_published(tmp_path, monkeypatch, capsys):
    from cli import main as cli

    monkeypatch.setenv("COHESION_DATA_DIR", str(tmp_path))
    assert cli.main(["serve", "--port", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cohesion serve: no published release at ") and "\n" not in err


def test_rank_chart_draws_the_interval_on_an_axis_fitted_to_the_commune():
    from publish.site.charts import rank_chart

    svg = rank_chart([(2019, 6, 5.0, 7.0), (2020, 5, 5.0, 6.0), (2021, None, None, None)], 565, "rank and interval")
    assert svg.startswith('<svg class="chart"') and 'aria-label="rank and interval"' in svg
    assert "<polygon" in svg  # the 90% interval
    # Ranks 5 to 7 of 565: the axis runs from 1 to 10, not to 565, so the band is visible.
    assert [t for t in ("1", "5", "10", "565") if f'font-size="11">{t}</text>' in svg] == ["1", "5", "10"]
    assert rank_chart([(2019, None, None, None)], 565, "x") == ""


def test_make_bench_times_the_site_as_a_stage_of_its_own():
    from cli.bench import STAGES, _stage_of

    assert "site" in STAGES
    assert _stage_of("published__site") == "site"
    assert _stage_of("published__release") == _stage_of("published__release_files") == "publish"
    # The index and the fund are stages of their own, between the two dbt builds.
    assert ("index", "fund") == (_stage_of("index_stage"), _stage_of("fund_stage"))
    assert _stage_of("cohesion_dbt_upstream") == _stage_of("cohesion_dbt_published") == "dbt"

