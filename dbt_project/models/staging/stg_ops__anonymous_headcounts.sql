{#- Counts of pupils without consent, from submissions currently in force only. -#}
with headcounts as (
    select
        headcounts.submission_id,
        headcounts.source,
        headcounts.sender_id,
        headcounts.period,
        headcounts.school_code,
        headcounts.grade,
        headcounts.sex,
        headcounts.birth_year,
        headcounts.pupils,
        submissions.entity
    from {{ source('ops', 'anonymous_headcounts') }} as headcounts
    inner join {{ source('ops', 'submissions') }} as submissions
        on headcounts.submission_id = submissions.submission_id
    where submissions.status = 'loaded'
)

select
    submission_id,
    source,
    entity,
    sender_id,
    period,
    school_code,
    grade,
    sex,
    birth_year,
    pupils,
    period ~ '^\d{4}-09$' as is_september_roster
from headcounts
