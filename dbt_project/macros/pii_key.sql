{#- The pseudonymisation key as a SQL session value that never appears in compiled SQL.
    DuckDB: the loyalty_pii dbt-duckdb plugin sets it on every connection, nothing to do here.
    Spark: this on-run-start hook copies the environment variable
    DBT_ENV_SECRET_LOYALTY_PII_KEY (which dbt scrubs from its logs) into the session variable
    loyalty_pii_key through Spark's ${env:...} substitution, which happens inside Spark's
    JVM after dbt has logged and written the statement. Not a Spark conf: confs are passed
    to the JVM on its command line, which every user of the machine can list. -#}
{% macro declare_pii_key() -%}
    {{ return(adapter.dispatch('declare_pii_key', 'loyalty')()) }}
{%- endmacro %}

{% macro default__declare_pii_key() -%}
{%- endmacro %}

{% macro spark__declare_pii_key() -%}
    {%- if execute -%}
        {%- do run_query(
            "declare or replace variable loyalty_pii_key string"
            ~ " default '${env:DBT_ENV_SECRET_LOYALTY_PII_KEY}'") -%}
        {#- an unset variable stays as the literal text ${env:...} -#}
        {%- do run_query(
            "select assert_true(loyalty_pii_key <> '' and not startswith(loyalty_pii_key, '$'),"
            ~ " 'DBT_ENV_SECRET_LOYALTY_PII_KEY is not set: the pseudonymisation key is missing')") -%}
    {%- endif -%}
{%- endmacro %}
