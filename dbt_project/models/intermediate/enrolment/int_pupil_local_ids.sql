{#- A school system's local pupil id → the person: marks and absences name pupils only this way. When rows with
    one local id were resolved to different people (a conflict), the id goes to the person most rows point to. -#}
with keyed as (
    select
        local_key,
        person_key,
        count(*) as rows_with_key,
        min(_submission_id) as first_submission_id
    from {{ ref('int_person_links') }}
    where local_key is not null and person_role = 'student'
    group by local_key, person_key
),

ranked as (
    select
        local_key,
        person_key,
        -- the first submission that named the pupil: incremental facts pick up rows sent before it
        min(first_submission_id) over (partition by local_key) as first_submission_id,
        count(*) over (partition by local_key) as candidate_persons,
        row_number() over (partition by local_key order by rows_with_key desc, person_key asc) as preference
    from keyed
)

select
    local_key,
    person_key,
    first_submission_id,
    candidate_persons > 1 as is_ambiguous
from ranked
where preference = 1
