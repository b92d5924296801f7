-- Purchase points = floor(net spend of the purchase x points_per_currency_unit x the
-- multiplier of the tier held when the points were booked), within 1 point for rounding in
-- the engine. Warn only: the engine may apply a tier change a few hours before or after the
-- register records it.
{{ config(meta={'dagster': {'ref': {'name': 'fct_points_ledger'}}}, severity='warn') }}

with

purchases as (
    select
        purchase_id,
        sum(net_amount) as net_spend
    from {{ ref('int_sales_lines') }}
    where not is_return
    group by purchase_id
),

purchase_entries as (
    select
        ledger.entry_id,
        ledger.purchase_id,
        ledger.points,
        member_versions.tier
    from {{ ref('fct_points_ledger') }} as ledger
    inner join {{ ref('stg_crm__member_versions') }} as member_versions
        on
            ledger.member_id = member_versions.member_id
            and ledger.entry_at >= member_versions.valid_from
            and (member_versions.valid_to is null or ledger.entry_at < member_versions.valid_to)
    where ledger.entry_type = 'earn' and ledger.reason = 'purchase'
)

select
    purchase_entries.entry_id,
    purchase_entries.purchase_id,
    purchase_entries.tier,
    purchase_entries.points,
    purchases.net_spend
from purchase_entries
inner join purchases on purchase_entries.purchase_id = purchases.purchase_id
inner join {{ ref('tier_rules') }} as tier_rules on purchase_entries.tier = tier_rules.tier
where
    abs(
        purchase_entries.points
        - floor(purchases.net_spend * tier_rules.points_per_currency_unit * tier_rules.points_multiplier)
    ) > 1
