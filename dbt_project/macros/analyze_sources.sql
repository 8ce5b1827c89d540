{#- Freshly loaded source tables have no planner statistics until autovacuum gets to them; plans built on
    defaults can be orders of magnitude slower. Analyze the raw and ops tables never analyzed (or changed a lot
    since), at the start of every run. Tables we do not own only raise a warning. -#}
{% macro analyze_stale_sources() %}
    {% if execute %}
        {% set stale %}
            select format('%I.%I', schemaname, relname)
            from pg_stat_user_tables
            where schemaname in ('raw', 'ops')
              and (coalesce(last_analyze, last_autoanalyze) is null or n_mod_since_analyze > 0.2 * greatest(n_live_tup, 1000))
        {% endset %}
        {% for row in run_query(stale) %}
            {% do run_query('analyze ' ~ row[0]) %}
        {% endfor %}
    {% endif %}
{% endmacro %}
