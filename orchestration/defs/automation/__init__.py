"""Jobs, the nightly schedule and the landing-folder sensor."""

from dagster import DefaultScheduleStatus, Definitions, PartitionsDefinition, RunRequest, schedule

from orchestration.defs.automation.jobs import demo_job, nightly_job, school_year_job, whole_range_tags
from orchestration.defs.automation.sensors import landing_sensor


def build_defs(yearly_partitions: PartitionsDefinition | None) -> Definitions:
    """The nightly run rebuilds every school year of the yearly facts (identity may re-key a past year's pupils);
    ``school_year_job`` and backfills rebuild the years one chooses."""

    # 02:00 in Ulan-Ude, after the schools' evening exports and before officials start work.
    @schedule(
        name="nightly_schedule",
        job=nightly_job,
        cron_schedule="0 2 * * *",
        execution_timezone="Asia/Irkutsk",
        default_status=DefaultScheduleStatus.RUNNING,
        description="Каждую ночь: приём, проверка Great Expectations, dbt (все учебные годы), дашборды.",
    )
    def nightly_schedule(context):
        return RunRequest(
            run_key=f"nightly-{context.scheduled_execution_time:%Y%m%d}",
            tags=whole_range_tags(yearly_partitions),
        )

    jobs = [nightly_job, demo_job] + ([school_year_job] if yearly_partitions is not None else [])
    return Definitions(jobs=jobs, schedules=[nightly_schedule], sensors=[landing_sensor])
