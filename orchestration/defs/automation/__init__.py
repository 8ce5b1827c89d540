"""Jobs, the nightly schedule and the landing-folder sensor."""

from dagster import DefaultScheduleStatus, Definitions, ScheduleDefinition

from orchestration.defs.automation.jobs import demo_job, nightly_job, school_year_job
from orchestration.defs.automation.sensors import landing_sensor

# 02:00 in Ulan-Ude, after the schools' evening exports and before officials start work.
nightly_schedule = ScheduleDefinition(
    name="nightly_schedule",
    job=nightly_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Irkutsk",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Каждую ночь: приём, dbt, дашборды.",
)


def build_defs(with_yearly: bool) -> Definitions:
    jobs = [nightly_job, demo_job, *([school_year_job] if with_yearly else [])]
    return Definitions(jobs=jobs, schedules=[nightly_schedule], sensors=[landing_sensor])
