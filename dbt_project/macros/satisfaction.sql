{#- Text tests for survey comments, dispatched because the regular-expression function is
    engine specific (DuckDB regexp_matches, Spark rlike). The patterns avoid backslash escapes
    so that they read the same in both engines. -#}

{#- True when the text contains a CJK unified ideograph (U+4E00 to U+9FFF). -#}
{% macro has_cjk_characters(expression) -%}
    {{ return(adapter.dispatch('has_cjk_characters', 'loyalty')(expression)) }}
{%- endmacro %}

{% macro duckdb__has_cjk_characters(expression) -%}
    regexp_matches({{ expression }}, '[一-鿿]')
{%- endmacro %}

{% macro default__has_cjk_characters(expression) -%}
    ({{ expression }} rlike '[一-鿿]')
{%- endmacro %}

{#- True when the text contains a Latin letter. -#}
{% macro has_latin_letters(expression) -%}
    {{ return(adapter.dispatch('has_latin_letters', 'loyalty')(expression)) }}
{%- endmacro %}

{% macro duckdb__has_latin_letters(expression) -%}
    regexp_matches({{ expression }}, '[A-Za-z]')
{%- endmacro %}

{% macro default__has_latin_letters(expression) -%}
    ({{ expression }} rlike '[A-Za-z]')
{%- endmacro %}
