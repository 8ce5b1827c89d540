{#- Schools, history-tracked (one row per version; school_key is stable across versions, is_current marks the
    latest). -#}
with versions as (
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
        valid_to,
        is_current
    from {{ ref('int_school_versions_built') }}
),

municipalities as (
    select
        municipality_key,
        municipality_code,
        municipality_name,
        oktmo
    from {{ ref('dim_municipality') }}
),

final as (
    select
        {{ school_version_key('versions.school_code', 'versions.valid_from') }} as school_version_key,
        {{ school_key('versions.school_code') }} as school_key,
        versions.school_code,
        versions.school_name,
        versions.inn,
        versions.ogrn,
        municipalities.municipality_key,
        municipalities.municipality_name,
        municipalities.oktmo,
        coalesce(school_types.school_type_label, versions.school_type) as school_type,
        versions.is_urban,
        case
            when versions.capacity is null then 'нет данных'
            when versions.capacity < 100 then 'до 100'
            when versions.capacity < 500 then '100–499'
            when versions.capacity < 1000 then '500–999'
            else '1000 и более'
        end as size_band,
        versions.has_second_shift,
        coalesce(languages.instruction_language_label, versions.instruction_language) as instruction_language,
        versions.teaches_buryat_native,
        versions.school_status,
        {{ school_key('versions.parent_school_code') }} as parent_school_key,
        {{ school_key('versions.successor_school_code') }} as successor_school_key,
        versions.valid_from,
        versions.valid_to,
        versions.is_current
    from versions
    left join municipalities on versions.municipality_code = municipalities.municipality_code
    left join {{ ref('school_types') }} as school_types on versions.school_type = school_types.school_type_code
    left join {{ ref('instruction_languages') }} as languages
        on versions.instruction_language = languages.instruction_language_code
)

select
    school_version_key,
    school_key,
    school_code,
    school_name,
    inn,
    ogrn,
    municipality_key,
    municipality_name,
    oktmo,
    school_type,
    is_urban,
    size_band,
    has_second_shift,
    instruction_language,
    teaches_buryat_native,
    school_status,
    parent_school_key,
    successor_school_key,
    valid_from,
    valid_to,
    is_current
from final
