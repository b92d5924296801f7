-- One row per kind of record that carries a customer identifier: how many records there
-- are, how many carry an identifier at all, and how many resolve to a member, by method.
-- The identity-resolution health figure for data engineers and analysts.
with

identity_map as (
    select * from {{ ref('int_identity_map') }}
),

receipts as (
    select
        transaction_id,
        max(member_card_id) as member_card_id
    from {{ ref('stg_pos__transaction_lines') }}
    group by transaction_id
),

receipt_matches as (
    select
        'till_receipts' as record_type,
        receipts.member_card_id is not null as has_identifier,
        card_links.member_id is not null as is_matched,
        card_links.link_method as matched_by
    from receipts
    left join identity_map as card_links
        on card_links.identifier_type = 'card_id' and receipts.member_card_id = card_links.identifier_value
),

order_matches as (
    select
        'online_orders' as record_type,
        orders.account_id is not null as has_identifier,
        account_links.member_id is not null as is_matched,
        account_links.link_method as matched_by
    from {{ ref('stg_online__orders') }} as orders
    left join identity_map as account_links
        on account_links.identifier_type = 'online_account_id' and orders.account_id = account_links.identifier_value
),

sessions as (
    -- the sessions already built (not every web event grouped again): a session's device
    -- and account are the ones int_web_sessions finds its member by
    select
        session_id,
        account_id,
        anonymous_id
    from {{ ref('int_web_sessions') }}
),

session_matches as (
    select
        'web_sessions' as record_type,
        true as has_identifier,
        coalesce(account_links.member_id, device_links.member_id) is not null as is_matched,
        coalesce(account_links.link_method, device_links.link_method) as matched_by
    from sessions
    left join identity_map as account_links
        on account_links.identifier_type = 'online_account_id' and sessions.account_id = account_links.identifier_value
    left join identity_map as device_links
        on device_links.identifier_type = 'device_id' and sessions.anonymous_id = device_links.identifier_value
),

survey_matches as (
    select
        'survey_responses' as record_type,
        responses.member_card_id is not null or responses.email_hash is not null as has_identifier,
        coalesce(card_links.member_id, email_links.member_id) is not null as is_matched,
        coalesce(card_links.link_method, email_links.link_method) as matched_by
    from {{ ref('stg_survey__responses') }} as responses
    left join identity_map as card_links
        on card_links.identifier_type = 'card_id' and responses.member_card_id = card_links.identifier_value
    left join identity_map as email_links
        on email_links.identifier_type = 'email_hash' and responses.email_hash = email_links.identifier_value
),

all_records as (
    select * from receipt_matches
    union all
    select * from order_matches
    union all
    select * from session_matches
    union all
    select * from survey_matches
),

final as (
    select
        -- keys
        record_type,
        -- counts
        count(*) as records,
        sum(case when has_identifier then 1 else 0 end) as records_with_identifier,
        sum(case when is_matched then 1 else 0 end) as matched_records,
        sum(case when matched_by = 'register_card' then 1 else 0 end) as matched_by_card,
        sum(case when matched_by = 'register_account' then 1 else 0 end) as matched_by_account,
        sum(case when matched_by = 'register_email' then 1 else 0 end) as matched_by_email,
        sum(case when matched_by = 'login_device' then 1 else 0 end) as matched_by_device,
        -- rates
        cast(sum(case when is_matched then 1 else 0 end) as double) / count(*) as match_rate,
        cast(sum(case when is_matched then 1 else 0 end) as double)
        / nullif(sum(case when has_identifier then 1 else 0 end), 0) as match_rate_of_identified
    from all_records
    group by record_type
)

select * from final
