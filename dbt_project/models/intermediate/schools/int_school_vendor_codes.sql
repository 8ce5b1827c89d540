{#- Vendor B names schools by its own code; the register says which school code each one is. -#}
with schools as (
    select
        school_code,
        vendor_school_code,
        school_year_start
    from {{ ref('stg_school_register__schools') }}
    where vendor_school_code is not null
),

latest as (
    select
        vendor_school_code,
        school_code,
        row_number() over (partition by vendor_school_code order by school_year_start desc) as recency
    from schools
)

select
    vendor_school_code,
    school_code
from latest
where recency = 1
