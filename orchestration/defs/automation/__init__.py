"""Jobs, the nightly schedule and the landing-folder sensor."""

import datetime as dt

from dagster import DefaultScheduleStatus, Definitions, RunRequest, ScheduleDefinition, schedule

from orchestration.defs.automation.jobs import demo_job, nightly_job, raw_quality_job, school_year_job
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


raw_quality_schedule = ScheduleDefinition(
    name="raw_quality_schedule",
    job=raw_quality_job,
    cron_schedule="0 5 * * *",
    execution_timezone="Asia/Irkutsk",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Каждую ночь после основного запуска: проверки Great Expectations на сырых таблицах.",
)


def current_school_year_key(today: dt.date) -> str:
    from orchestration.defs.warehouse.assets import school_year_key

    return school_year_key(today.year if today.month >= 9 else today.year - 1)


@schedule(
    name="school_year_schedule",
    job=school_year_job,
    cron_schedule="0 4 * * *",
    execution_timezone="Asia/Irkutsk",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Каждую ночь после основного запуска: модели по учебным годам, только текущий год.",
)
def school_year_schedule(context):
    key = current_school_year_key(context.scheduled_execution_time.date())
    return RunRequest(run_key=f"{key}-{context.scheduled_execution_time:%Y%m%d}", partition_key=key)


def build_defs(with_yearly: bool, with_raw_gate: bool) -> Definitions:
    """Models tagged ``school_year`` leave the nightly job and are rebuilt per school year (their own job and
    schedule; backfills of one partition rebuild one year)."""
    jobs = [nightly_job, demo_job]
    schedules = [nightly_schedule]
    if with_yearly:
        jobs.append(school_year_job)
        schedules.append(school_year_schedule)
    if with_raw_gate:
        jobs.append(raw_quality_job)
        schedules.append(raw_quality_schedule)
    return Definitions(jobs=jobs, schedules=schedules, sensors=[landing_sensor])
