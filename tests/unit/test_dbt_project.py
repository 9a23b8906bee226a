"""The dbt project: its configuration and seeds (fast), and one `dbt build` on a small but
complete fake raw warehouse (slow), checked against numbers recomputed here from the raw rows."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import yaml

# tests/ is on sys.path under pytest (its conftest.py), so the fixture module imports as `fixtures`.
from fixtures.fake_warehouse import DATASETS, HERSTAPPE, NEW_PANEL, OLD_PANEL, SAINT_JOSSE, YEARS, build_fake_warehouse

REPO = Path(__file__).resolve().parents[2]
DBT_DIR = REPO / "dbt_project"
SEEDS = DBT_DIR / "seeds"


def _seed(name: str) -> list[dict[str, str]]:
    with (SEEDS / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _yaml(relative: str) -> dict:
    return yaml.safe_load((DBT_DIR / relative).read_text(encoding="utf-8"))


def _model(properties: dict, name: str) -> dict:
    return next(m for m in properties["models"] if m["name"] == name)


def _column_tests(model: dict, column: str) -> list:
    return next(c for c in model["columns"] if c["name"] == column).get("data_tests", [])


INDICATORS = [row["indicator"] for row in _seed("indicator_definitions")]


# --- configuration and seeds (fast) -------------------------------------------------------------


def test_profile_reads_the_warehouse_path_from_the_environment_with_at_most_two_threads():
    output = _yaml("profiles.yml")["cohesion"]["outputs"]["dev"]
    assert output["type"] == "duckdb"
    assert output["path"] == "{{ env_var('COHESION_DBT_DATABASE', env_var('COHESION_WAREHOUSE')) }}"
    assert output["threads"] in (1, 2)


def _duckdb_memory_limit_in_dbt(warehouse: Path, target: Path) -> str:
    """DuckDB's memory limit as a dbt command of the pipeline sees it."""
    from dbt.cli.main import dbtRunner

    from orchestration.dbt_runner import _close_duckdb, database_named, parsed_project

    parsed = parsed_project(DBT_DIR, DBT_DIR, warehouse.name)
    with database_named(str(warehouse)):
        result = dbtRunner(manifest=parsed).invoke(
            ["show", "--inline", "select current_setting('memory_limit') as memory_limit", "--quiet",
             "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR), "--target-path", str(target),
             "--log-path", str(target)]
        )
    _close_duckdb()
    assert result.success, result.exception
    return result.result.results[0].agate_table.rows[0][0]


def test_dbt_caps_duckdb_memory_and_the_environment_raises_the_cap(tmp_path, dbt_manifest, monkeypatch):
    # Uncapped, DuckDB held the real files' real-estate rows whole while staging and harmonising
    # them (the dbt step's peak 877 MiB); dbt_project/profiles.yml caps it, a data team with bigger
    # data raises it. DuckDB shows 192 MB (decimal) in binary units.
    monkeypatch.setenv("COHESION_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.delenv("COHESION_DBT_MEMORY_LIMIT", raising=False)
    assert _duckdb_memory_limit_in_dbt(tmp_path / "warehouse.duckdb", tmp_path / "target") == "183.1 MiB"
    monkeypatch.setenv("COHESION_DBT_MEMORY_LIMIT", "1GB")
    assert _duckdb_memory_limit_in_dbt(tmp_path / "warehouse.duckdb", tmp_path / "target") == "953.6 MiB"


def test_every_raw_dataset_of_the_catalog_is_a_dbt_source_and_nothing_else_is():
    # The catalog is the one dataset list: a dataset added there without its dbt source (or a
    # source left behind after a dataset is dropped) fails here.
    from ingestion.load import RAW_DATASETS

    sources = yaml.safe_load((DBT_DIR / "models" / "staging" / "_sources.yml").read_text(encoding="utf-8"))
    (raw,) = [s for s in sources["sources"] if s["name"] == "raw"]
    assert tuple(table["name"] for table in raw["tables"]) == RAW_DATASETS


def test_each_layer_has_its_own_schema_and_published_models_enforce_contracts():
    models = _yaml("dbt_project.yml")["models"]["cohesion"]
    assert {layer: models[layer]["+schema"] for layer in ("staging", "harmonised", "indicators", "published")} == {
        "staging": "staging",
        "harmonised": "harmonised",
        "indicators": "indicators",
        "published": "published",
    }
    assert models["published"]["+contract"] == {"enforced": True}


def test_indicator_definitions_list_twenty_indicators_with_a_known_unit_and_direction():
    rows = _seed("indicator_definitions")
    assert len(rows) == len(set(INDICATORS)) == 20
    assert {r["domain"] for r in rows} == {
        "income", "employment", "education", "housing", "arrivals_diversity", "demography_needs",
    }
    assert {r["direction"] for r in rows} == {"1", "-1"}
    published = _model(_yaml("models/published/_published.yml"), "commune_indicators")
    units = next(t for t in _column_tests(published, "unit") if "accepted_values" in t)
    assert {r["unit"] for r in rows} <= set(units["accepted_values"]["arguments"]["values"])
    empty = [(r["indicator"], k) for r in rows for k in ("description_en", "description_fr", "formula") if not r[k]]
    assert empty == []


def test_published_indicator_ids_are_exactly_the_seed():
    published = _model(_yaml("models/published/_published.yml"), "commune_indicators")
    accepted = next(t for t in _column_tests(published, "indicator") if "accepted_values" in t)
    assert accepted["accepted_values"]["arguments"]["values"] == INDICATORS


def test_every_unit_of_an_indicator_has_a_plausible_range():
    indicators = _model(_yaml("models/indicators/_indicators.yml"), "indicators_commune_indicators")
    check = next(t for t in _column_tests(indicators, "value") if "within_plausible_range" in t)
    bounds = check["within_plausible_range"]["arguments"]["bounds"]
    assert bounds["share"] == [0, 1] and bounds["percent"] == [0, 100]
    assert {r["unit"] for r in _seed("indicator_definitions")} <= set(bounds)


def test_directions_agree_with_the_methodology_of_the_index():
    # The index applies the methodology's directions; the published `direction` must not say otherwise.
    methodology = yaml.safe_load((REPO / "config" / "methodology.yml").read_text(encoding="utf-8"))
    ours = {r["indicator"]: int(r["direction"]) for r in _seed("indicator_definitions")}
    theirs = {name: spec["direction"] for name, spec in methodology["indicators"].items()}
    assert {name: (ours.get(name), d) for name, d in theirs.items() if ours.get(name) != d} == {}


def _formula_inputs(indicator: str, offset: int = 0) -> set[tuple[str, int]]:
    """(measure, year offset) pairs an indicator's formula (seed indicator_definitions) reads: a
    name followed by (y-k) is read k years back; another indicator's name stands for its own
    formula (price_to_income_houses divides by mean_income_per_declaration)."""
    import re

    formulas = {r["indicator"]: r["formula"] for r in _seed("indicator_definitions")}
    measures = {r["measure"] for r in _seed("measures")}
    found: set[tuple[str, int]] = set()
    for name, back in re.findall(r"\b([a-z][a-z0-9_]*)\b(?:\(y(?:-(\d+))?\))?", formulas[indicator]):
        years_back = offset + int(back or 0)
        if name in formulas and name != indicator:
            found |= _formula_inputs(name, years_back)
        elif name in measures:
            found.add((name, years_back))
    return found


def test_every_indicator_lists_the_inputs_its_formula_reads():
    # seeds/indicator_inputs.csv carries a reviewed exception to the values that used it: an input
    # missing there would publish a value built on a reviewed outlier without its flag.
    listed: dict[str, set[tuple[str, int]]] = {}
    for row in _seed("indicator_inputs"):
        listed.setdefault(row["indicator"], set()).add((row["measure"], int(row["year_offset"])))
    assert sorted(listed) == sorted(INDICATORS)
    differ = {i: (sorted(listed[i]), sorted(_formula_inputs(i))) for i in INDICATORS if listed[i] != _formula_inputs(i)}
    assert differ == {}
    assert _formula_inputs("arrivals_per_1000_3y") == {
        ("immigrations", 0), ("immigrations", 1), ("immigrations", 2), ("population_total", 0),
    }
    assert _formula_inputs("share_non_belgian_change_5y") == {
        (m, k) for m in ("population_non_belgian", "population_total") for k in (0, 5)
    }


def test_flag_vocabulary_covers_every_flag_the_models_write():
    flags = {row["flag"] for row in _seed("flag_definitions")}
    written_by_sql = {
        "suppressed", "missing", "no_value", "not_applicable", "merged_not_additive", "insufficient_history",
        "zero_denominator", "estimated", "imputed", "published_rate", "proxy", "income_other_year",
        "reviewed_outlier", "merged_sum", "renumbered",
    }
    assert flags == written_by_sql


# --- one dbt build on the fake warehouse (slow) ---------------------------------------------------


@dataclass(frozen=True)
class Build:
    warehouse: Path
    target: Path
    success: bool
    failures: tuple[str, ...]


def _release_dbt_duckdb() -> None:
    """dbt-duckdb keeps its database open in the process until exit (it registers this very call
    with atexit); release it so that the test can open the file read-only."""
    import gc

    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    DuckDBConnectionManager.close_all_connections()
    gc.collect()


@pytest.fixture(scope="module")
def build(tmp_path_factory, dbt_manifest) -> Iterator[Build]:
    from dbt.cli.main import dbtRunner

    from orchestration.dbt_runner import database_named, parsed_project

    tmp = tmp_path_factory.mktemp("dbt")
    warehouse = build_fake_warehouse(tmp / "warehouse.duckdb").path
    # The project as the test run parsed it once (tests/conftest.py), handed to the build as the
    # pipeline's own builds get it (orchestration.dbt_runner): without it, this build parsed the
    # whole project again into its own target folder, about 5 s.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COHESION_WAREHOUSE", str(warehouse))
        parsed = parsed_project(DBT_DIR, DBT_DIR, warehouse.name)
        with database_named(str(warehouse)):
            result = dbtRunner(manifest=parsed).invoke(
                [
                    "build",
                    "--project-dir", str(DBT_DIR),
                    "--profiles-dir", str(DBT_DIR),
                    "--target-path", str(tmp / "target"),
                    "--log-path", str(tmp / "logs"),
                    # The index and the fund need a realistic sample (eligible communes, a base
                    # year); the end-to-end test builds them (and the stages' tables, which the
                    # published models read as sources). Here: the layers up to the indicators.
                    "--exclude", "path:models/index+", "path:models/fund+", "source:index+", "source:fund+",
                    "--quiet",
                ]
            )
    _release_dbt_duckdb()
    nodes = result.result.results if result.result is not None else []
    failures = tuple(
        f"{r.node.unique_id}: {r.status} {r.message}" for r in nodes if str(r.status) not in ("success", "pass")
    )
    if result.exception is not None:
        failures += (repr(result.exception),)
    yield Build(warehouse, tmp / "target", result.success, failures)


def _query(build: Build, sql: str) -> list[tuple]:
    with duckdb.connect(str(build.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def _one(build: Build, sql: str):
    rows = _query(build, sql)
    assert len(rows) == 1, rows
    return rows[0][0] if len(rows[0]) == 1 else rows[0]


@pytest.mark.slow
def test_dbt_build_passes_every_model_test_and_unit_test(build: Build):
    assert build.failures == ()
    assert build.success


@pytest.mark.slow
def test_published_tables_have_565_communes_and_every_commune_year_indicator(build: Build):
    assert _one(build, "select count(*) from published.communes") == 565
    pairs = _query(build, "select distinct indicator, year from published.commune_indicators")
    assert _one(build, "select count(*) from published.commune_indicators") == 565 * len(pairs)
    years = _query(build, "select distinct year from published.commune_indicators order by year")
    assert [y for (y,) in years] == list(YEARS)
    # An indicator-year enters only where some commune has a value: three years of data give no
    # 5-year change and one year of 3-year sums (2024), every year of the others.
    per_indicator = dict(_query(build, "select indicator, count(distinct year) from published.commune_indicators group by 1"))
    assert "share_non_belgian_change_5y" not in per_indicator
    assert (per_indicator["arrivals_per_1000_3y"], per_indicator["newcomers_per_1000_3y"]) == (1, 1)
    assert per_indicator["share_non_belgian"] == len(YEARS)
    assert _one(
        build,
        "select count(*) from (select indicator, year from published.commune_indicators group by 1, 2 having count(value) = 0)",
    ) == 0


@pytest.mark.slow
def test_fake_warehouse_holds_every_measure_of_every_dataset(build: Build):
    raw = set(
        _query(
            build,
            " union ".join(
                f"select distinct dataset, measure from raw.{d}"
                for d in DATASETS
            ),
        )
    )
    assert raw == {(row["dataset"], row["measure"]) for row in _seed("measures")}


@pytest.mark.slow
def test_layers_land_in_schemas_named_exactly_after_them(build: Build):
    schemas = {s for (s,) in _query(build, "select distinct schema_name from duckdb_tables()")}
    schemas |= {s for (s,) in _query(build, "select distinct schema_name from duckdb_views() where not internal")}
    assert schemas == {"raw", "reference", "staging", "harmonised", "indicators", "published"}


@pytest.mark.slow
def test_commune_map_has_the_three_official_sizes(build: Build):
    counts = _query(build, "select from_map, count(*) from harmonised.harmonised_commune_map group by 1 order by 1")
    assert counts == [(565, 565), (581, 581), (589, 589)]


@pytest.mark.slow
def test_merged_commune_income_is_recomputed_from_summed_totals_of_the_newest_vintage(build: Build):
    # Antwerpen (11002) = Antwerpen + Borsbeek (11007) on the 581 map; 2023 is in both panel vintages.
    income, declarations = _one(
        build,
        f"""select sum(value) filter (where measure = 'net_taxable_income_total'),
                   sum(value) filter (where measure = 'declarations_total')
            from raw.statbel_income
            where nis_code in ('11002', '11007') and period = '2023' and vintage = '{NEW_PANEL}'""",
    )
    value, numerator, denominator, vintage, flags = _one(
        build,
        """select value, numerator, denominator, source_vintage, flags from published.commune_indicators
           where nis_code = '11002' and year = 2023 and indicator = 'mean_income_per_declaration'""",
    )
    assert (numerator, denominator, vintage, flags) == (income, declarations, NEW_PANEL, "")
    assert value == pytest.approx(income / declarations)
    assert _one(
        build,
        """select source_vintage from published.commune_indicators
           where nis_code = '11002' and year = 2022 and indicator = 'mean_income_per_declaration'""",
    ) == OLD_PANEL


@pytest.mark.slow
def test_merged_commune_sums_add_their_parts_in_code_order(build: Build):
    # Floating-point addition is not associative: a sum of three or more fractional parts taken in
    # the order the database's threads meet them can differ from run to run in the last bit (seen
    # in CI on the sample's income totals). The contract is a sum in code order; the fake income
    # totals have cents, so another order would show here in the last bits.
    parts = _query(
        build,
        """select m.to_nis, r.period, r.vintage, r.nis_code, r.value
           from raw.statbel_income r
           join harmonised.harmonised_commune_map m on m.from_map = r.map_vintage and m.from_nis = r.nis_code
           where r.measure = 'net_taxable_income_total' and m.sources_in_target >= 3""",
    )
    def sums(rows) -> dict[tuple, float]:
        total: dict[tuple, float] = {}
        for to_nis, period, vintage, _, value in rows:
            key = (to_nis, period, vintage)
            total[key] = value if key not in total else total[key] + value
        return total

    expected = sums(sorted(parts, key=lambda row: row[:4]))
    # The data can tell orders apart: in reverse code order some sums come out different.
    assert sums(sorted(parts, key=lambda row: row[:4], reverse=True)) != expected
    found = dict(
        ((to_nis, period, vintage), value)
        for to_nis, period, vintage, value in _query(
            build,
            """select nis_code, period, vintage, value from harmonised.harmonised_statbel_income
               where measure = 'net_taxable_income_total' and sources_expected >= 3""",
        )
    )
    # Beveren-Kruibeke-Zwijndrecht and Pajottegem in each year (from the newest panel vintage).
    assert len(found) >= 6
    assert found == {key: expected.get(key) for key in found}


@pytest.mark.slow
def test_merged_commune_median_is_null_and_flagged_not_a_mean_of_medians(build: Build):
    assert _one(
        build,
        """select value, status, flags, sources_expected from harmonised.harmonised_statbel_income
           where nis_code = '11002' and period = '2023' and measure = 'median_income_per_declaration'""",
    ) == (None, "no_value", "merged_not_additive", 2)


@pytest.mark.slow
def test_suppressed_income_stays_null_with_its_reason(build: Build):
    rows = _query(
        build,
        f"""select indicator, value, flags from published.commune_indicators
            where nis_code = '{HERSTAPPE}' and year = 2023 and domain = 'income' order by indicator""",
    )
    assert rows == [
        ("mean_income_per_declaration", None, "suppressed"),
        ("mean_income_per_inhabitant", None, "suppressed"),
        ("share_zero_income_declarations", None, "suppressed"),
    ]


@pytest.mark.slow
def test_unemployment_falls_back_to_the_published_rate_when_counts_are_suppressed(build: Build):
    published = _one(
        build,
        f"""select value from raw.employment
            where nis_code = '{SAINT_JOSSE}' and period = '2024' and measure = 'unemployment_rate'""",
    )
    assert _one(
        build,
        f"""select value, numerator, denominator, flags from published.commune_indicators
            where nis_code = '{SAINT_JOSSE}' and year = 2024 and indicator = 'unemployment_rate'""",
    ) == (published, None, None, "published_rate")


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["statbel_income", "schools", "arrivals"])
def test_cohesion_parse_harmonise_gives_the_rows_dbt_built(build: Build, dataset: str):
    # `cohesion parse --harmonise` runs the same models in an in-memory DuckDB
    # (ingestion/harmonise_sql.py): on the rows dbt staged, it must return the rows dbt built.
    # Income has merged sums, a suppressed part, medians and two panel vintages; schools 2022 is
    # on the 589 map; arrivals mix the 581 and 565 maps across years.
    import pandas as pd

    from ingestion.harmonise_sql import harmonise_frame

    columns = (
        "dataset, nis_code, period, measure, value, unit, status, source_file, flags, source_map, "
        "sources_expected, sources_found"
    )
    with duckdb.connect(str(build.warehouse), read_only=True) as con:
        staged = con.execute(f"select * exclude (year, quarter) from staging.stg_raw__{dataset}").df()
        built = con.execute(
            f"select {columns} from harmonised.harmonised_{dataset} order by nis_code, period, measure"
        ).df()
    in_memory, report = harmonise_frame(staged)
    assert set(in_memory["map_vintage"]) == {565}
    assert report.rows_out == len(built) > 0 and report.merged_targets
    got = in_memory[[c.strip() for c in columns.split(",")]].astype(object).where(in_memory.notna(), None)
    expected = built.astype(object).where(built.notna(), None)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_dtype=False)


@pytest.mark.slow
def test_schools_on_the_589_map_reach_the_565_map_through_both_crosswalks(build: Build):
    # Lievegem (44085) = Lovendegem + Waarschoot + Zomergem (2019); 2022 is deliberately on 589.
    pupils, delayed = _one(
        build,
        """select sum(value) filter (where measure = 'pupils'), sum(value) filter (where measure = 'pupils_delayed')
           from raw.schools where period = '2022' and nis_code in ('44036', '44072', '44080')""",
    )
    value, numerator, denominator = _one(
        build,
        """select value, numerator, denominator from published.commune_indicators
           where nis_code = '44085' and year = 2022 and indicator = 'school_delay_rate'""",
    )
    assert (numerator, denominator) == (delayed, pupils)
    assert value == pytest.approx(100 * delayed / pupils)


@pytest.mark.slow
def test_three_year_arrivals_sum_across_maps_per_1000_inhabitants(build: Build):
    # 2024 is on the 565 map, 2022 and 2023 on 581, where Antwerpen is 11002 + 11007.
    arrivals = _one(
        build,
        """select sum(value) from raw.arrivals
           where measure = 'immigrations' and nis_code in ('11002', '11007') and period in ('2022', '2023', '2024')""",
    )
    population = _one(
        build,
        """select sum(value) from raw.statbel_population
           where measure = 'population_total' and period = '2024' and nis_code in ('11002', '11007')""",
    )
    value, numerator, denominator = _one(
        build,
        """select value, numerator, denominator from published.commune_indicators
           where nis_code = '11002' and year = 2024 and indicator = 'arrivals_per_1000_3y'""",
    )
    assert (numerator, denominator) == (arrivals, population)
    assert value == pytest.approx(1000 * arrivals / population)
    # 2022 and 2023 lack two earlier years of arrivals: no commune has a 3-year sum, so those
    # years are not years of the indicator (never a one- or two-year sum instead).
    assert _query(
        build,
        "select count(*) from published.commune_indicators where indicator = 'arrivals_per_1000_3y' and year < 2024",
    ) == [(0,)]


@pytest.mark.slow
def test_reviewed_outliers_flag_exactly_the_values_that_used_them(build: Build):
    # fixtures.fake_warehouse.REVIEWED_EXCEPTIONS: Sint-Gillis's 2024 foreign residents feed its
    # 2024 share and yearly net change (its 3-year change and 5-year change have no 2024 value);
    # Borsbeek's 2022 immigrations, under the former code 11007, are part of Antwerpen's 2024
    # 3-year sum (2022 and 2023 have no 3-year value anywhere); Saint-Josse's 2023 value is ONEM's
    # rate, Anderlecht's is computed from counts and does not read it; Brussels's 2024 Q2 median
    # price is taken for 2024; the national total flags nothing.
    flagged = _query(
        build,
        """select nis_code, year, indicator, flags from published.commune_indicators
           where flags like '%reviewed_outlier%' order by all""",
    )
    assert flagged == [
        ("11002", 2024, "arrivals_per_1000_3y", "reviewed_outlier"),
        ("21004", 2024, "price_to_income_houses", "reviewed_outlier"),
        ("21013", 2024, "arrivals_proxy_net_non_belgian", "proxy,reviewed_outlier"),
        ("21013", 2024, "share_non_belgian", "reviewed_outlier"),
        (SAINT_JOSSE, 2023, "unemployment_rate", "published_rate,reviewed_outlier"),
    ]
    # The former code's own rows were never published (11007 is not on the 565 map) and the
    # index would read the flagged values as any other: they keep their value.
    assert _one(
        build,
        """select count(*) from published.commune_indicators
           where flags like '%reviewed_outlier%' and value is null""",
    ) == 0


@pytest.mark.slow
def test_published_models_and_columns_carry_english_french_and_dutch_descriptions_and_units(build: Build):
    manifest = json.loads((build.target / "manifest.json").read_text(encoding="utf-8"))
    published = [n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["schema"] == "published"]
    assert sorted(n["alias"] for n in published) == [
        "cohesion_index", "cohesion_index_audit", "cohesion_index_contributions", "cohesion_index_domains",
        "cohesion_index_explanations",
        "cohesion_index_regional", "cohesion_index_sensitivity", "cohesion_index_sobol", "cohesion_index_uncertainty", "commune_indicators", "commune_population", "communes",
        "flag_definitions", "former_communes", "fund_allocation", "fund_editions", "fund_eligibility", "fund_summary",
        "fund_transitions",
        "index_edition_indicators", "index_editions", "indicator_coverage", "indicator_definitions",
        "indicator_treatments", "value_labels",
    ]
    undocumented_models = [
        n["alias"]
        for n in published
        if not (n["description"] and n["config"]["meta"].get("description_fr") and n["config"]["meta"].get("description_nl"))
    ]
    assert undocumented_models == []
    undocumented = [
        f"{n['alias']}.{name}"
        for n in published
        for name, column in n["columns"].items()
        if not (
            column["description"]
            and column["meta"].get("description_fr")
            and column["meta"].get("description_nl")
            and column["meta"].get("unit")
        )
    ]
    assert undocumented == []
    assert all(n["config"]["contract"]["enforced"] for n in published)
