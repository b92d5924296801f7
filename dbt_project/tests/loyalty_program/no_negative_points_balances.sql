-- The engine never takes a balance below zero; the source could (a late adjustment, a
-- missing earn entry), so a person should look, but the pipeline need not stop.
{{ config(severity='warn') }}

select
    entry_id,
    member_id,
    entry_at,
    running_balance
from {{ ref('fct_points_ledger') }}
where running_balance < 0
