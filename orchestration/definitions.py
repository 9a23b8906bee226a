"""The Dagster code location: raw assets and their checks, the dbt models up to the stages' inputs, the
index and fund stages, the published dbt models, publish, schedules.

`dagster dev -m orchestration.definitions` loads it; `cohesion prepare` builds the dbt
manifest it reads first (tests and `make run` do the same).
"""

from __future__ import annotations

import dagster as dg

from orchestration.defs import checks, dbt, fund, index, publish, raw, schedules, sensors
from orchestration.resources import build_resources

defs = dg.Definitions(
    assets=[
        *raw.raw_dataset_assets, raw.communes, raw.source_files, raw.plausibility_exceptions,
        dbt.cohesion_dbt_upstream, index.index_stage, fund.fund_stage, dbt.cohesion_dbt_published,
        publish.release_files, publish.site, publish.release,
    ],
    asset_checks=[
        *checks.raw_checks, checks.commune_reference
    ],
    jobs=[schedules.refresh_job],
    schedules=[schedules.yearly_refresh],
    sensors=[sensors.publisher_release_sensor],
    resources=build_resources(),
)
