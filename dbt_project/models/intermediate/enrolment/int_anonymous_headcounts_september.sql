{#- Anonymous headcounts of pupils without consent as of 20 September: from the September roster submissions
    currently in force, per school and grade (vendor B's own school codes mapped to the register's). -#}
with headcounts as (
    select
        headcounts.school_code,
        headcounts.grade,
        headcounts.period,
        headcounts.pupils
    from {{ ref('stg_ops__anonymous_headcounts') }} as headcounts
    where headcounts.is_september_roster
),

mapped as (
    select
        coalesce(codes.school_code, headcounts.school_code) as school_code,
        headcounts.grade,
        {{ period_start_year('headcounts.period') }} as school_year_start,
        headcounts.pupils
    from headcounts
    left join {{ ref('int_school_vendor_codes') }} as codes on headcounts.school_code = codes.vendor_school_code
)

select
    school_code,
    grade,
    school_year_start,
    sum(pupils) as pupils
from mapped
group by school_code, grade, school_year_start
