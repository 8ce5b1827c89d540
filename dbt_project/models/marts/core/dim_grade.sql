with grades as (
    select generate_series(1, 12) as grade
)

select
    grade,
    grade::text || ' класс' as grade_label,
    {{ education_level('grade') }} as education_level,
    grade in (9, 11) as ends_with_state_exam
from grades
