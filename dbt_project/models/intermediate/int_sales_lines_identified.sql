-- Till lines with the member they belong to, matched on the loyalty card scanned at the till.
-- Online orders and the other identity links (account, e-mail hash, device) join this with
-- the identity-resolution model.
with

lines as (
    select * from {{ ref('stg_pos__transaction_lines') }}
),

cards as (
    select
        card_id,
        member_id
    from {{ ref('stg_crm__members') }}
    where card_id is not null
),

identified as (
    select
        -- ids
        lines.transaction_id,
        lines.line_number,
        cards.member_id,
        lines.member_card_id,
        lines.store_id,
        lines.product_id,
        lines.return_of_transaction_id,
        -- amounts
        lines.quantity,
        lines.unit_price,
        lines.discount_amount,
        lines.net_amount,
        -- attributes
        'store' as sales_channel,
        lines.payment_method,
        lines.is_return,
        -- timestamps
        lines.transacted_at,
        lines.transaction_date
    from lines
    left join cards on lines.member_card_id = cards.card_id
)

select * from identified
