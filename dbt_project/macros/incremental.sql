{#- The incremental strategy of the partitioned (daily) models, per engine, in one place.
    DuckDB deletes the window's days and inserts them again (delete+insert on the date);
    Spark's Parquet tables cannot delete, so there the table is partitioned by the date and
    a run overwrites the partitions (days) it writes (insert_overwrite, dynamic mode). -#}
{% macro partitioned_by_day(date_column) -%}
    {{ return(adapter.dispatch('partitioned_by_day', 'loyalty')(date_column)) }}
{%- endmacro %}

{% macro default__partitioned_by_day(date_column) -%}
    {{ return({'incremental_strategy': 'delete+insert', 'unique_key': date_column}) }}
{%- endmacro %}

{% macro spark__partitioned_by_day(date_column) -%}
    {{ return({
        'incremental_strategy': 'insert_overwrite',
        'partition_by': [date_column],
        'file_format': 'parquet',
    }) }}
{%- endmacro %}

{#- After an incremental run of int_web_session_activity: a session the table last saw on a
    day from the window's first day on, with no event on such a day any more, lost all its
    events (a corrected file dropped them): it was not recomputed, so it is deleted. On a
    table (Spark, or the first build) there is nothing to delete. -#}
{% macro drop_sessions_without_events() -%}
    {%- if model.config.materialized == 'incremental' -%}
    delete from {{ this }}
    where last_business_date >= cast('{{ var("min_business_date") }}' as date)
        and session_id not in (
            select session_id
            from {{ ref('stg_online__events') }}
            where business_date >= cast('{{ var("min_business_date") }}' as date)
                and session_id is not null
        )
    {%- endif -%}
{%- endmacro %}
