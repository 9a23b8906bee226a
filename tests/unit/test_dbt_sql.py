"""ingestion/dbt_sql.py: the dbt project's staging and harmonised models rendered without dbt and
run in an in-memory DuckDB (what `cohesion parse --harmonise` does)."""

from __future__ import annotations

import duckdb
import jinja2
import pytest

from ingestion import geography
from ingestion.dbt_sql import _make_environment, create_model, dependencies, load_seed, render_model
from ingestion.load import RAW_DATASETS


@pytest.mark.parametrize("entity", sorted({d.removesuffix("_totals") for d in RAW_DATASETS}))
def test_every_harmonised_model_and_its_staging_render_without_dbt(entity):
    # A dbt call the renderer does not know fails here, naming it (the macros' headers say so).
    staging = render_model("staging", f"stg_raw__{entity}")
    harmonised = render_model("harmonised", f"harmonised_{entity}")
    assert f'from "raw"."{entity}"' in staging and "cast(value as double) as value" in staging
    assert f'select * from "stg_raw__{entity}"' in harmonised and "{{" not in harmonised


def test_a_dbt_call_the_renderer_does_not_give_is_an_error_naming_it():
    env = _make_environment(lambda name: name, lambda schema, name: name)
    with pytest.raises(jinja2.UndefinedError, match="type_bigint"):
        env.from_string("select cast(1 as {{ dbt.type_bigint() }})").render()


def test_dependencies_name_the_models_seeds_and_raw_tables_a_model_reads():
    assert dependencies("staging", "stg_raw__statbel_population").sources == (
        ("raw", "statbel_population"),
        ("raw", "statbel_population_totals"),
    )
    assert set(dependencies("harmonised", "harmonised_statbel_income").refs) == {
        "stg_raw__statbel_income", "measures", "harmonised_commune_map",
    }


def test_seeds_load_with_the_column_types_of_dbt_project_yml():
    with duckdb.connect(":memory:") as con:
        load_seed(con, "measures")
        load_seed(con, "crosswalk_2018_2019")
        assert con.execute("select distinct additive from measures where measure = 'population_total'").fetchall() == [(True,)]
        types = dict(con.execute("select column_name, column_type from (describe crosswalk_2018_2019)").fetchall())
    assert (types["from_nis"], types["to_nis"]) == ("VARCHAR", "VARCHAR")


def test_the_sql_commune_map_agrees_with_the_python_one_on_all_three_maps():
    # geography.crosswalk_to_565 (used by the sample generator) and the dbt model derive the map
    # from the same seeds; here both must give every commune the same target.
    with duckdb.connect(":memory:") as con:
        con.execute("create schema reference")
        communes = geography.communes_565()
        con.register("communes", communes)
        con.execute("create table reference.communes as select * from communes")
        create_model(con, "harmonised", "harmonised_commune_map")
        rows = con.execute(
            "select from_map, from_nis, to_nis, sources_in_target from harmonised_commune_map"
        ).fetchall()
    sql = {(m, f): (t, n) for m, f, t, n in rows}
    assert {m: sum(1 for key in sql if key[0] == m) for m in (565, 581, 589)} == {565: 565, 581: 581, 589: 589}
    for vintage in (565, 581, 589):
        python = geography.crosswalk_to_565(vintage)
        for f, t, n in zip(python["from_nis"], python["to_nis"], python["sources_in_target"], strict=True):
            assert sql[(vintage, f)] == (t, n), (vintage, f)
