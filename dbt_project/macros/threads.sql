{#- The machine's cores shared between the models dbt builds at once (on-run-start). DuckDB
    gives every query all the cores by default; with dbt building two models at a time on
    two cores that is four busy threads on two cores, and the build of the unpartitioned
    models at 10M till lines took 122 and 110 s, against 102 and 99 s with one DuckDB
    thread per model (bench/RESULTS.md, 2026-12-02 night). Each model's queries get
    cores / dbt threads (at least one); a build of one model at a time (the partitioned
    step, --threads 1) keeps every core. `threads` is a setting of the whole database, so
    it holds for every dbt thread's cursor; it is reset first, so that DuckDB's default
    says how many cores there are even where the database stayed open from an earlier
    invocation in the same process. Spark shares its executors itself: nothing to do. -#}
{% macro share_cores_between_models() -%}
    {{ return(adapter.dispatch('share_cores_between_models', 'loyalty')()) }}
{%- endmacro %}

{% macro default__share_cores_between_models() -%}
{%- endmacro %}

{% macro duckdb__share_cores_between_models() -%}
    {%- if execute -%}
        {%- do run_query('reset threads') -%}
        {%- set cores = run_query("select cast(current_setting('threads') as integer)").columns[0].values()[0] -%}
        {%- do run_query('set threads = ' ~ ([1, cores // target.threads] | max)) -%}
    {%- endif -%}
{%- endmacro %}
