with source as (
    {{ loaded_rows('graduate_outcomes__destinations') | indent(4) }}
),

renamed as (
    select
        birth_year,
        birth_month,
        snils_token as snils_token,
        name_dob_token as name_dob_token,
        name_dob_swapped_token as name_dob_swapped_token,
        fuzzy_name_dob_token as fuzzy_name_dob_token,
        fuzzy_name_dob_swapped_token as fuzzy_name_dob_swapped_token,
        fuzzy_first_last_dob_token as fuzzy_first_last_dob_token,
        school_code,
        school_completed_grade,
        destination,
        in_region,
        report_date,
        {{ lineage_columns() | indent(8) }},
        row_number() over (
            partition by coalesce(snils_token, name_dob_token), school_completed_grade, report_date
            order by _sent_at desc, _source_row desc
        ) as duplicate_rank
    from source
)

select *
from renamed
where duplicate_rank = 1
