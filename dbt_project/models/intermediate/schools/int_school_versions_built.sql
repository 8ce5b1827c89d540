{#- The history of each school through the yearly register extracts: consecutive school years with the same
    attributes form one version (valid_from … valid_to); a reorganisation (new municipality, type, merger,
    closure) starts a new one. -#}
with register as (
    select
        schools.school_code,
        schools.school_name,
        schools.inn,
        schools.ogrn,
        schools.municipality_code,
        schools.school_type,
        schools.is_urban,
        schools.has_second_shift,
        schools.instruction_language,
        schools.teaches_buryat_native,
        schools.capacity,
        schools.school_status,
        schools.parent_school_code,
        schools.successor_school_code,
        schools.opened_date,
        schools.closed_date,
        schools.school_year_start
    from {{ ref('stg_school_register__schools') }} as schools
),

fingerprinted as (
    select
        *,
        md5(concat_ws(
            '|', school_name, inn, ogrn, municipality_code, school_type, is_urban, has_second_shift,
            instruction_language, teaches_buryat_native, capacity, school_status, parent_school_code,
            successor_school_code
        )) as attributes_hash
    from register
),

changes as (
    select
        *,
        case
            when lag(attributes_hash) over (partition by school_code order by school_year_start) = attributes_hash
                then 0
            else 1
        end as starts_version
    from fingerprinted
),

numbered as (
    select
        *,
        sum(starts_version) over (partition by school_code order by school_year_start) as version_number
    from changes
),

versions as (
    select
        school_code,
        version_number,
        min(school_year_start) as first_school_year_start,
        max(school_year_start) as last_school_year_start
    from numbered
    group by school_code, version_number
),

final as (
    select
        numbered.school_code,
        numbered.school_name,
        numbered.inn,
        numbered.ogrn,
        numbered.municipality_code,
        numbered.school_type,
        numbered.is_urban,
        numbered.has_second_shift,
        numbered.instruction_language,
        numbered.teaches_buryat_native,
        numbered.capacity,
        numbered.school_status,
        numbered.parent_school_code,
        numbered.successor_school_code,
        case
            when versions.version_number = 1 then least(make_date(versions.first_school_year_start, 9, 1), coalesce(numbered.opened_date, make_date(versions.first_school_year_start, 9, 1)))
            else make_date(versions.first_school_year_start, 9, 1)
        end as valid_from,
        lead(make_date(versions.first_school_year_start, 9, 1)) over (
            partition by numbered.school_code order by versions.version_number
        ) - 1 as next_version_day_before,
        numbered.closed_date,
        versions.version_number,
        versions.last_school_year_start
    from numbered
    inner join versions
        on
            numbered.school_code = versions.school_code
            and numbered.version_number = versions.version_number
            and numbered.school_year_start = versions.last_school_year_start
)

select
    school_code,
    school_name,
    inn,
    ogrn,
    municipality_code,
    school_type,
    is_urban,
    has_second_shift,
    instruction_language,
    teaches_buryat_native,
    capacity,
    school_status,
    parent_school_code,
    successor_school_code,
    version_number,
    valid_from,
    coalesce(next_version_day_before, closed_date) as valid_to,
    next_version_day_before is null as is_current
from final
