-- Hashes are computed while dbt runs (the key is a session variable), so this is a table.
{{ config(materialized='table') }}

-- One row per identifier a member has held in any register version: card, online account,
-- e-mail hash, phone hash. Old identifiers stay, so a survey answered with an e-mail the
-- member has since changed still finds the member.
with

source as (
    select * from {{ source('crm', 'crm_members') }}
),

versions as (
    select
        member_id,
        nullif(trim(card_id), '') as card_id,
        nullif(trim(online_account_id), '') as online_account_id,
        {{ pseudonymise('email') }} as email_hash,
        {{ pseudonymise(digits_only('phone')) }} as phone_hash,
        {{ to_utc('updated_at', "'" ~ var('default_timezone') ~ "'") }} as updated_at
    from source
),

unpivoted as (
    select
        member_id,
        'card_id' as identifier_type,
        card_id as identifier_value,
        updated_at
    from versions
    where card_id is not null
    union all
    select
        member_id,
        'online_account_id' as identifier_type,
        online_account_id as identifier_value,
        updated_at
    from versions
    where online_account_id is not null
    union all
    select
        member_id,
        'email_hash' as identifier_type,
        email_hash as identifier_value,
        updated_at
    from versions
    where email_hash is not null
    union all
    select
        member_id,
        'phone_hash' as identifier_type,
        phone_hash as identifier_value,
        updated_at
    from versions
    where phone_hash is not null
),

latest_versions as (
    select
        member_id,
        max(updated_at) as latest_updated_at
    from versions
    group by 1
),

current_identifiers as (
    select distinct
        unpivoted.member_id,
        unpivoted.identifier_type,
        unpivoted.identifier_value
    from unpivoted
    inner join latest_versions
        on
            unpivoted.member_id = latest_versions.member_id
            and unpivoted.updated_at = latest_versions.latest_updated_at
),

final as (
    select
        -- ids
        unpivoted.member_id,
        unpivoted.identifier_type,
        unpivoted.identifier_value,
        -- attributes
        current_identifiers.member_id is not null as is_current,
        count(*) as register_versions,
        -- timestamps
        min(unpivoted.updated_at) as first_seen_at,
        max(unpivoted.updated_at) as last_seen_at
    from unpivoted
    left join current_identifiers
        on
            unpivoted.member_id = current_identifiers.member_id
            and unpivoted.identifier_type = current_identifiers.identifier_type
            and unpivoted.identifier_value = current_identifiers.identifier_value
    group by 1, 2, 3, 4
)

select * from final
