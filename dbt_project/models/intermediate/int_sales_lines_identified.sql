-- Till lines with the member they belong to, matched on the loyalty card scanned at the till.
-- Online orders and the other identity links (account, e-mail hash, device) join this with
-- the identity-resolution model.
with

lines as (
    select * from {{ ref('stg_pos__transaction_lines') }}
),

cards as (
    select card_id, member_id from {{ ref('stg_crm__members') }}
    where card_id is not null
),

identified as (
    select
        lines.*,
        cards.member_id,
        'store' as sales_channel
    from lines
    left join cards on lines.member_card_id = cards.card_id
)

select * from identified
