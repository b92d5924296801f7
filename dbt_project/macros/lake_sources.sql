{#- The lake as dbt sources. On DuckDB the views raw.* over the Parquet folders come from
    Python (orchestration/lib/warehouse.py::ensure_lake_views), so this does nothing. On
    Spark it runs at the start of every dbt invocation (on-run-start) and (re)creates one
    view per source over its lake folder, read with partition discovery: daily datasets
    get their business_date column from the business_date=YYYY-MM-DD folder names. -#}
{% macro register_lake_sources() -%}
    {{ return(adapter.dispatch('register_lake_sources', 'loyalty')()) }}
{%- endmacro %}

{% macro default__register_lake_sources() -%}
{%- endmacro %}

{% macro spark__register_lake_sources() -%}
    {%- if execute -%}
        {%- set lake = env_var('LOYALTY_LAKE', '../data/lake') -%}
        {%- set missing = var('missing_lake_datasets', {}) -%}
        {%- for source in graph.sources.values() | sort(attribute='unique_id') -%}
            {%- set relation = source.schema ~ '.' ~ source.identifier -%}
            {%- do run_query('create database if not exists ' ~ source.schema) -%}
            {%- if relation in missing -%}
                {%- set body = 'select ' ~ missing[relation] ~ ' where false' -%}
            {%- else -%}
                {%- set folder = source.external.location if source.external and source.external.location
                    else source.schema ~ '/' ~ source.identifier -%}
                {%- set body = 'select * from parquet.`' ~ lake ~ '/' ~ folder ~ '`' -%}
            {%- endif -%}
            {%- do run_query('create or replace view ' ~ relation ~ ' as ' ~ body) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
