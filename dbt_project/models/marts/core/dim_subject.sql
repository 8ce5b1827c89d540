with subjects as (
    select
        subject_code,
        subject_name,
        mark_column
    from {{ ref('subjects') }}
)

select
    subject_code,
    subject_name,
    mark_column is not null as has_term_marks
from subjects
