{#- The incremental strategy of the partitioned (daily) models, per engine, in one place.
    A run replaces the window's days: what the lake holds for them now, and nothing else.
    DuckDB deletes the window's days and inserts them again (delete+insert on the date);
    Spark's Parquet tables cannot delete, so there the table is partitioned by the date and
    a run overwrites the partitions (days) it writes (insert_overwrite, dynamic mode). On
    both, a pre-hook first removes every day of the window, so that a day the run writes no
    row for goes too (a corrected file emptied it, or left only copies of rows delivered on
    an earlier day): delete+insert and a dynamic overwrite replace only the days they write.
    The models read their table for days before the window only. -#}
{% macro partitioned_by_day(date_column) -%}
    {{ return(adapter.dispatch('partitioned_by_day', 'loyalty')(date_column)) }}
{%- endmacro %}

{% macro default__partitioned_by_day(date_column) -%}
    {{ return({
        'incremental_strategy': 'delete+insert',
        'unique_key': date_column,
        'pre_hook': "{{ loyalty.clear_window_days('" ~ date_column ~ "') }}",
    }) }}
{%- endmacro %}

{% macro spark__partitioned_by_day(date_column) -%}
    {{ return({
        'incremental_strategy': 'insert_overwrite',
        'partition_by': [date_column],
        'file_format': 'parquet',
        'pre_hook': "{{ loyalty.clear_window_days('" ~ date_column ~ "') }}",
    }) }}
{%- endmacro %}

{#- Pre-hook of the partitioned models (see partitioned_by_day); nothing on a first build or
    a full refresh, which write the table whole. On DuckDB it runs in the model's
    transaction: a failed run deletes nothing. -#}
{% macro clear_window_days(date_column) -%}
    {{ return(adapter.dispatch('clear_window_days', 'loyalty')(date_column)) }}
{%- endmacro %}

{% macro default__clear_window_days(date_column) -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where {{ partition_window_filter(date_column) }}
    {%- endif -%}
{%- endmacro %}

{#- Spark runs one statement at a time: each partition is dropped here, and the hook itself
    is left empty (dbt skips an empty hook). Spark has no transaction: a run that fails
    after this leaves the window's days empty until it runs again. -#}
{% macro spark__clear_window_days(date_column) -%}
    {%- if execute and is_incremental() -%}
        {%- set days = run_query("select distinct " ~ date_column ~ " from " ~ this
                                 ~ " where " ~ partition_window_filter(date_column)) -%}
        {%- for row in days.rows -%}
            {%- do run_query("alter table " ~ this ~ " drop if exists partition ("
                             ~ date_column ~ " = date'" ~ row[0] ~ "')") -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- Models with one row per key (a web session, an online order) built from every source row
    of that key, whose rows arrive on several business days. On DuckDB they are incremental
    in the partitioned (daily) run, delete+insert by key: a run recomputes, from all their
    rows, the keys with a row on a business day from the window's first day on and the keys
    the table last saw on such a day; every other key is unchanged, as its rows are. (A run
    replaces the window's days and drops later copies of their rows. A file for an older
    day is ingested by the landing sensor in a run of that day's partition: README,
    Backfills.)
    A key left without rows is deleted afterwards (drop_keys_without_rows). Spark's Parquet
    tables cannot delete rows: there the model is a table. -#}
{% macro incremental_by_key(key) -%}
    {{ return(adapter.dispatch('incremental_by_key', 'loyalty')(key)) }}
{%- endmacro %}

{% macro default__incremental_by_key(key) -%}
    {{ return({'materialized': 'incremental', 'incremental_strategy': 'delete+insert',
               'unique_key': key}) }}
{%- endmacro %}

{% macro spark__incremental_by_key(key) -%}
    {{ return({'materialized': 'table'}) }}
{%- endmacro %}

{#- The keys an incremental run recomputes (see incremental_by_key): those of `source_relation`
    with a row from the window's first day on, and those `last_day_column` of this table puts
    on such a day or leaves empty. When the table lacks a column the model documents (it was
    built by an earlier version of the model), every key is recomputed: the model's
    on_schema_change='sync_all_columns' adds the column, and this run fills it for every
    row, as a full refresh would. -#}
{% macro keys_to_recompute(key, source_relation, last_day_column) -%}
    {%- set existing = adapter.get_columns_in_relation(this) | map(attribute='name')
        | map('lower') | list if execute else [] -%}
    {%- set missing = model.columns.keys() | map('lower') | reject('in', existing) | list -%}
    select {{ key }}
    from {{ source_relation }}
    where business_date >= cast('{{ var("min_business_date") }}' as date)
    union
    select {{ key }}
    from {{ this }}
    {%- if execute and not missing %}
    where {{ last_day_column }} is null
        or {{ last_day_column }} >= cast('{{ var("min_business_date") }}' as date)
    {%- endif %}
{%- endmacro %}

{#- Post-hook of an incremental_by_key model: a key the table last saw from the window's first
    day on, with no row of `source_relation` on such a day any more, lost all its rows (a
    corrected file dropped them); it was not recomputed, so it is deleted. On a table (Spark)
    there is nothing to do, and on a first build nothing to find. -#}
{% macro drop_keys_without_rows(key, source_relation, last_day_column) -%}
    {%- if model.config.materialized == 'incremental' -%}
    delete from {{ this }}
    where (
            {{ last_day_column }} is null
            or {{ last_day_column }} >= cast('{{ var("min_business_date") }}' as date)
        )
        and {{ key }} not in (
            select {{ key }}
            from {{ source_relation }}
            where business_date >= cast('{{ var("min_business_date") }}' as date)
                and {{ key }} is not null
        )
    {%- endif -%}
{%- endmacro %}

{#- Models whose rows of a key (a member, a web session) depend only on that key's rows of
    their inputs (`inputs`: names of the models they read by `key`) and on `settings` (the
    vars they read). On DuckDB they are incremental, recomputed by key: a pre-hook
    fingerprints every key's rows of each input (their count, and the sum of a hash of each
    whole row salted with the model's code and settings), compares them with the
    fingerprints stored by the last build, deletes the rows of the keys whose fingerprints
    differ, that appear on one side only, or that have rows in the table but no stored
    fingerprint, and the model, filtered with changed_keys(), inserts those keys again; a
    post-hook stores the new fingerprints. Rows whose key is null are neither fingerprinted
    nor recomputed: such a model must have none (a not_null test on the key).
    `grouped_by` ({input: column}) names rows that belong together across keys (a receipt
    whose lines carry two members' cards is one purchase): every key sharing a value of the
    column with a recomputed key, directly or through others, is recomputed too.
    Not seen, so run the model with --full-refresh after them: a change to a macro it
    calls, and a table rewritten by anything else (a rollback to a version without this,
    a manual edit). The fingerprints and the last build's keys live in schema
    incremental_state, which is never published. Spark's Parquet tables cannot delete rows:
    there the model is a table. -#}
{% macro incremental_by_fingerprint(key, inputs, settings={}, grouped_by={}) -%}
    {{ return(adapter.dispatch('incremental_by_fingerprint', 'loyalty')(
        key, inputs, settings, grouped_by)) }}
{%- endmacro %}

{% macro default__incremental_by_fingerprint(key, inputs, settings, grouped_by) -%}
    {%- set args = tojson(inputs) ~ ", " ~ tojson(settings) ~ ", " ~ tojson(grouped_by) -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'append',
        'on_schema_change': 'sync_all_columns',
        'fingerprint_key': key,
        'pre_hook': "{{ loyalty.find_changed_keys(" ~ args ~ ") }}",
        'post_hook': "{{ loyalty.keep_fingerprints() }}",
    }) }}
{%- endmacro %}

{% macro spark__incremental_by_fingerprint(key, inputs, settings, grouped_by) -%}
    {{ return({'materialized': 'table'}) }}
{%- endmacro %}

{#- The key column of an incremental_by_fingerprint model. -#}
{% macro fingerprint_key() -%}
    {{ return(config.get('fingerprint_key')) }}
{%- endmacro %}

{#- The relations an incremental_by_fingerprint model keeps beside it: `fingerprints` (the
    last build's) and `changed` (the keys the last build computed: all of them after a full
    one), named after the key (member_id: `<model>__member_fingerprints`,
    `<model>__changed_members`); and `fingerprints_next`, this build's, a temporary table
    (in memory, in the model's connection) until the post-hook. -#}
{% macro fingerprint_state_relation(kind) -%}
    {%- set unit = fingerprint_key() | replace('_id', '') -%}
    {%- if kind == 'fingerprints_next' -%}
        {{ return(api.Relation.create(identifier=this.identifier ~ '__' ~ unit ~ '_fingerprints_next')) }}
    {%- endif -%}
    {%- set names = {
        'fingerprints': '__' ~ unit ~ '_fingerprints',
        'changed': '__changed_' ~ unit ~ 's',
    } -%}
    {{ return(api.Relation.create(database=this.database, schema='incremental_state',
                                  identifier=this.identifier ~ names[kind])) }}
{%- endmacro %}

{#- The keys an incremental run of an incremental_by_fingerprint model recomputes. -#}
{% macro changed_keys() -%}
    select {{ fingerprint_key() }} from {{ fingerprint_state_relation('changed') }}
{%- endmacro %}

{% macro find_changed_keys(inputs, settings, grouped_by) -%}
    {%- set key = fingerprint_key() -%}
    {%- set salt = local_md5(model.raw_code ~ tojson(settings) ~ tojson(grouped_by)) -%}
    {%- set stored = fingerprint_state_relation('fingerprints') -%}
    {%- set fresh = fingerprint_state_relation('fingerprints_next') -%}
    {%- set changed = fingerprint_state_relation('changed') -%}
    {%- set has_stored = execute and adapter.get_relation(
        database=stored.database, schema=stored.schema, identifier=stored.identifier) -%}
    create schema if not exists {{ stored.database }}.{{ stored.schema }};
    create or replace temporary table {{ fresh }} as
    select
        {{ key }},
        count(*) as input_rows,
        sum(row_hash) as input_hash
    from (
        {%- for input in inputs %}
        -- the alias is the whole row as a struct (a column of that name would hide it)
        select
            {{ key }},
            hash('{{ salt }}', '{{ input }}', fingerprinted__row) as row_hash
        from {{ ref(input) }} as fingerprinted__row
        where {{ key }} is not null
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    ) as rows_by_key
    group by {{ key }};
    create or replace table {{ changed }} as
    {%- if not is_incremental() %}
    select {{ key }} from {{ fresh }};
    {%- elif has_stored %}
    select coalesce(fresh.{{ key }}, stored.{{ key }}) as {{ key }}
    from {{ fresh }} as fresh
    full outer join {{ stored }} as stored on fresh.{{ key }} = stored.{{ key }}
    where
        fresh.input_rows is distinct from stored.input_rows
        or fresh.input_hash is distinct from stored.input_hash
    union
    -- rows no fingerprinted build wrote
    select {{ key }} from {{ this }} as model_rows
    where not exists (
        select 1 from {{ stored }} as stored where stored.{{ key }} = model_rows.{{ key }}
    );
    {%- else %}
    -- no fingerprints (the table was built by a version of the model that kept none)
    select {{ key }} from {{ fresh }}
    union
    select {{ key }} from {{ this }};
    {%- endif %}
    {%- if is_incremental() %}
    {%- for input, column in grouped_by.items() %}
    insert into {{ changed }}
    with recursive
    shared as (
        -- the rows of groups with more than one key (usually none)
        select distinct
            {{ column }} as group_key,
            {{ key }} as grouped_key
        from {{ ref(input) }}
        where {{ key }} is not null and {{ column }} in (
            select {{ column }}
            from {{ ref(input) }}
            where {{ key }} is not null
            group by {{ column }}
            having min({{ key }}) <> max({{ key }})
        )
    ),
    linked (grouped_key) as (
        select {{ key }} from {{ changed }}
        union
        select other.grouped_key
        from linked
        inner join shared as mine on linked.grouped_key = mine.grouped_key
        inner join shared as other on mine.group_key = other.group_key
    )
    select grouped_key from linked
    except
    select {{ key }} from {{ changed }};
    {%- endfor %}
    delete from {{ this }}
    where {{ key }} in (select {{ key }} from {{ changed }})
    {%- endif %}
{%- endmacro %}

{#- Post-hook of an incremental_by_fingerprint model: this build's fingerprints become the
    stored ones, in the model's transaction (a failed build keeps the last ones). Only the
    recomputed keys' rows are rewritten (a new day changes a few thousand of the 7.4M
    sessions at 10M lines); a full build replaces them all. The keys it computed stay, so
    that `dbt compile` and `dbt show` of the model still run. -#}
{% macro keep_fingerprints() -%}
    {%- set key = fingerprint_key() -%}
    {%- set stored = fingerprint_state_relation('fingerprints') -%}
    {%- set fresh = fingerprint_state_relation('fingerprints_next') -%}
    {%- set changed = fingerprint_state_relation('changed') -%}
    {%- set has_stored = execute and adapter.get_relation(
        database=stored.database, schema=stored.schema, identifier=stored.identifier) -%}
    {#- (is_incremental() is true here even after a first build: the table exists by now.
        Stored keys a first build did not recompute are gone from its inputs; the next
        build finds them changed and deletes them.) -#}
    {%- if has_stored and not should_full_refresh() %}
    delete from {{ stored }}
    where {{ key }} in (select {{ key }} from {{ changed }});
    insert into {{ stored }}
    select * from {{ fresh }}
    where {{ key }} in (select {{ key }} from {{ changed }});
    {%- else %}
    create or replace table {{ stored }} as
    select * from {{ fresh }};
    {%- endif %}
    drop table {{ fresh }}
{%- endmacro %}
