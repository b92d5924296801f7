{#- Small dispatched macros that keep models portable between DuckDB and Spark. -#}

{#- A cast that yields NULL instead of failing (dbt.safe_cast is a plain CAST on DuckDB). -#}
{% macro try_cast(expression, data_type) -%}
    {{ return(adapter.dispatch('try_cast', 'loyalty')(expression, data_type)) }}
{%- endmacro %}

{% macro default__try_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}

{#- An ISO-8601 text timestamp as a UTC timestamp. Text with an offset (or Z) is absolute;
    text without one is wall-clock time in `timezone_expression` (the store's zone). -#}
{% macro to_utc(ts_text, timezone_expression) -%}
    {{ return(adapter.dispatch('to_utc', 'loyalty')(ts_text, timezone_expression)) }}
{%- endmacro %}

{% macro duckdb__to_utc(ts_text, timezone_expression) -%}
    cast(timezone('UTC',
        case
            when regexp_matches(trim({{ ts_text }}), '(Z|[+-][0-9]{2}(:?[0-9]{2})?)$')
                then cast(trim({{ ts_text }}) as timestamptz)
            else timezone({{ timezone_expression }}, cast(trim({{ ts_text }}) as timestamp))
        end) as timestamp)
{%- endmacro %}

{#- Keyed hash of a normalised personal value (e-mail, phone). The key is a session
    variable set by the loyalty_pii dbt-duckdb plugin, so it never appears in SQL. -#}
{% macro pseudonymise(expression) -%}
    {{ return(adapter.dispatch('pseudonymise', 'loyalty')(expression)) }}
{%- endmacro %}

{% macro duckdb__pseudonymise(expression) -%}
    case
        when nullif(trim({{ expression }}), '') is not null
            then sha256(
                coalesce(getvariable('loyalty_pii_key'),
                    error('loyalty_pii_key is not set: run dbt with the loyalty_pii plugin'))
                || '|' || lower(trim({{ expression }})))
    end
{%- endmacro %}

{#- The partition window of an incremental run, as date literals. -#}
{% macro partition_window_filter(date_column) -%}
    {{ date_column }} between cast('{{ var("min_business_date") }}' as date)
        and cast('{{ var("max_business_date") }}' as date)
{%- endmacro %}
