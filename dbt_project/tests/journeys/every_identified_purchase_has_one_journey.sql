-- the Dagster asset check belongs to fct_purchase_journeys
{{ config(meta={'dagster': {'ref': {'name': 'fct_purchase_journeys'}}}) }}

-- Every purchase of an identified member in int_sales_lines (sale lines, till and online)
-- has exactly one row in fct_purchase_journeys, and the mart has no other purchases.
with

purchases as (
    select distinct purchase_id
    from {{ ref('int_sales_lines') }}
    where not is_return and member_id is not null
),

journeys as (
    select
        purchase_id,
        count(*) as journey_rows
    from {{ ref('fct_purchase_journeys') }}
    group by purchase_id
)

select
    coalesce(purchases.purchase_id, journeys.purchase_id) as purchase_id,
    coalesce(journeys.journey_rows, 0) as journey_rows,
    purchases.purchase_id is not null as is_identified_purchase
from purchases
full outer join journeys on purchases.purchase_id = journeys.purchase_id
where purchases.purchase_id is null or coalesce(journeys.journey_rows, 0) <> 1
