-- the Dagster asset check belongs to fct_survey_responses
{{ config(meta={'dagster': {'ref': {'name': 'fct_survey_responses'}}}) }}

-- Satisfaction marts are read by BI tools: no column may carry personal data or comment
-- text. Returns one row per offending column (columns are read from the built relations).
{%- set marts = [
    ref('fct_survey_responses'),
    ref('satisfaction_monthly'),
    ref('satisfaction_driver_analysis'),
    ref('nps_category_outcomes'),
] %}
{%- set forbidden = ['email', 'phone', 'name', 'comment_text', 'birth'] %}
{%- set offending = [] %}
{%- if execute %}
    {%- for relation in marts %}
        {%- for column in adapter.get_columns_in_relation(relation) %}
            {%- for word in forbidden if word in column.name | lower %}
                {%- do offending.append((relation.identifier, column.name)) %}
            {%- endfor %}
        {%- endfor %}
    {%- endfor %}
{%- endif %}

{%- for table_name, column_name in offending %}
    select
        '{{ table_name }}' as table_name,
        '{{ column_name }}' as column_name
    union all
{%- endfor %}
select
    cast(null as {{ dbt.type_string() }}) as table_name,
    cast(null as {{ dbt.type_string() }}) as column_name
where 1 = 0
