"""A job that refreshes and publishes everything, and the yearly schedule that runs it."""


import dagster as dg

from orchestration.partitions import tags_for_archived_years
from orchestration.step_memory import after_failure, after_success

REFRESH_JOB = "refresh_and_publish"

refresh_job = dg.define_asset_job(
    REFRESH_JOB,
    selection=dg.AssetSelection.all(),
    description="Parse every archived file, check it, run dbt (models and tests), publish if all passed.",
    hooks={after_success, after_failure},
)


# Statbel publishes the population on 1 January figures in spring and fiscal income in autumn;
# a run in early December picks up the year's releases.
@dg.schedule(job=refresh_job, cron_schedule="0 6 1 12 *", execution_timezone="Europe/Brussels")
def yearly_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Everything, with the yearly datasets over every archived year (one run, not one per year)."""
    return dg.RunRequest(tags={"cohesion/trigger": "yearly_refresh", **tags_for_archived_years()})
