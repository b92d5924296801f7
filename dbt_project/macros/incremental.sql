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
