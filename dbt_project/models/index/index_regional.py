"""The regional supplements of the index (config/methodology.yml `editions.regional_supplements`):
a region's communes ranked with the indicators only that region publishes added to the national
ones. It never changes the national ranking. Grain: commune x edition year x scope."""

from kernels import warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    return warehouse.regional_index(
        dbt.ref("indicators_commune_indicators").df(), dbt.ref("stg_reference__communes").df(), dbt.ref("index_inputs").df()
    )
