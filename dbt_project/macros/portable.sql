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

{% macro spark__to_utc(ts_text, timezone_expression) -%}
    case
        when trim({{ ts_text }}) rlike '(Z|[+-][0-9]{2}(:?[0-9]{2})?)$'
            then cast(trim({{ ts_text }}) as timestamp)
        else to_utc_timestamp(cast(trim({{ ts_text }}) as timestamp), {{ timezone_expression }})
    end
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

{#- Spark: the key is the session variable loyalty_pii_key (macros/pii_key.sql). -#}
{% macro spark__pseudonymise(expression) -%}
    case
        when nullif(trim({{ expression }}), '') is not null
            then sha2(concat(system.session.loyalty_pii_key, '|', lower(trim({{ expression }}))), 256)
    end
{%- endmacro %}

{#- The partition window of an incremental run, as date literals. -#}
{% macro partition_window_filter(date_column) -%}
    {{ date_column }} between cast('{{ var("min_business_date") }}' as date)
        and cast('{{ var("max_business_date") }}' as date)
{%- endmacro %}

{#- A UTC timestamp as wall-clock time in `timezone_expression`, e.g. to take a local date. -#}
{% macro from_utc(ts, timezone_expression) -%}
    {{ return(adapter.dispatch('from_utc', 'loyalty')(ts, timezone_expression)) }}
{%- endmacro %}

{% macro duckdb__from_utc(ts, timezone_expression) -%}
    cast(timezone({{ timezone_expression }}, timezone('UTC', {{ ts }})) as timestamp)
{%- endmacro %}

{% macro spark__from_utc(ts, timezone_expression) -%}
    from_utc_timestamp({{ ts }}, {{ timezone_expression }})
{%- endmacro %}

{#- One field of a JSON object held as text, as text. -#}
{% macro json_field(json_expression, field) -%}
    {{ return(adapter.dispatch('json_field', 'loyalty')(json_expression, field)) }}
{%- endmacro %}

{% macro duckdb__json_field(json_expression, field) -%}
    json_extract_string({{ json_expression }}, '$.{{ field }}')
{%- endmacro %}

{% macro spark__json_field(json_expression, field) -%}
    get_json_object({{ json_expression }}, '$.{{ field }}')
{%- endmacro %}

{#- The elements of a JSON array column as rows: (id_column, element_number from 1,
    element as JSON text), read from `relation`. -#}
{% macro explode_json_array(relation, id_column, json_column) -%}
    {{ return(adapter.dispatch('explode_json_array', 'loyalty')(relation, id_column, json_column)) }}
{%- endmacro %}

{% macro duckdb__explode_json_array(relation, id_column, json_column) -%}
    select
        {{ id_column }},
        cast(unnest(generate_series(1, len(elements))) as integer) as element_number,
        cast(unnest(elements) as varchar) as element
    from (
        select
            {{ id_column }},
            cast(from_json({{ json_column }}, '["json"]') as json []) as elements
        from {{ relation }}
    )
{%- endmacro %}

{#- Spark: an array<string> schema keeps each element (an object) as its JSON text. -#}
{% macro spark__explode_json_array(relation, id_column, json_column) -%}
    select
        {{ id_column }},
        cast(element_index + 1 as integer) as element_number,
        element
    from {{ relation }}
    lateral view posexplode(from_json({{ json_column }}, 'array<string>')) as element_index, element
{%- endmacro %}

{#- Whole days from one date to another (later = positive). -#}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'loyalty')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}

{% macro duckdb__days_between(start_date, end_date) -%}
    date_diff('day', {{ start_date }}, {{ end_date }})
{%- endmacro %}

{#- Post-hook of the incremental staging models that keep an id's first delivery: after a
    run over the window, remove copies of the window's ids kept on LATER business days (a
    late file for an earlier day makes the earlier copy the first delivery). Without vars
    the window ends in 2999 and this deletes nothing. -#}
{% macro drop_later_deliveries(id_column) -%}
    {{ return(adapter.dispatch('drop_later_deliveries', 'loyalty')(id_column)) }}
{%- endmacro %}

{% macro default__drop_later_deliveries(id_column) -%}
    delete from {{ this }}
    where business_date > cast('{{ var("max_business_date") }}' as date)
        and {{ id_column }} in (
            select {{ id_column }} from {{ this }}
            where {{ partition_window_filter('business_date') }}
        )
{%- endmacro %}

{#- Spark's Parquet tables have no DELETE: the later days that hold such copies are
    rewritten without them (dynamic partition overwrite replaces only the days selected).
    A later day made only of such copies would keep them: it has no row left to write. -#}
{% macro spark__drop_later_deliveries(id_column) -%}
    insert overwrite table {{ this }} partition (business_date)
    select * from {{ this }}
    where business_date > cast('{{ var("max_business_date") }}' as date)
        and {{ id_column }} not in (
            select {{ id_column }} from {{ this }}
            where {{ partition_window_filter('business_date') }}
        )
{%- endmacro %}

{#- The digits of a phone number. -#}
{% macro digits_only(expression) -%}
    {{ return(adapter.dispatch('digits_only', 'loyalty')(expression)) }}
{%- endmacro %}

{% macro duckdb__digits_only(expression) -%}
    regexp_replace({{ expression }}, '[^0-9]', '', 'g')
{%- endmacro %}

{% macro spark__digits_only(expression) -%}
    regexp_replace({{ expression }}, '[^0-9]', '')
{%- endmacro %}

{#- An expression as text, in the engine's string type. -#}
{% macro text(expression) -%}
    cast({{ expression }} as {{ dbt.type_string() }})
{%- endmacro %}

{#- A struct of columns, its fields named after them. min() of it is the values of the row
    that sorts first by those fields in order: a first-value aggregate with no window sort
    (e.g. the channel of a member's first touch of the day). -#}
{% macro struct_of(columns) -%}
    {{ return(adapter.dispatch('struct_of', 'loyalty')(columns)) }}
{%- endmacro %}

{% macro default__struct_of(columns) -%}
    struct_pack({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__struct_of(columns) -%}
    struct({{ columns | join(', ') }})
{%- endmacro %}

{#- Placed between `name as` and the CTE's body: DuckDB evaluates the CTE at each reference
    (with that reference's filters and columns pushed into the table scan) instead of
    materialising it once and scanning that copy at every reference. Spark inlines a
    deterministic CTE anyway. -#}
{% macro not_materialized() -%}
    {{ return(adapter.dispatch('not_materialized', 'loyalty')()) }}
{%- endmacro %}

{% macro default__not_materialized() -%}
{%- endmacro %}

{% macro duckdb__not_materialized() -%}
    not materialized
{%- endmacro %}
