-- One row per version of a member's register record (tier, status, consent over time),
-- without personal data. A version delivered more than once counts once: the latest
-- delivery wins, as in stg_crm__members.
-- A table, not a view: two marts and eight tests read it, and as a view each of them
-- evaluated it again over every register delivery (10M-line year: 4.5 s as a view, 2.1 s as
-- a table).
{{ config(materialized='table') }}

with

source as (
    select * from {{ source('crm', 'crm_members') }}
),

deliveries as (
    select
        member_id,
        tier,
        status,
        marketing_consent,
        business_date,
        {{ to_utc('updated_at', "'" ~ var('default_timezone') ~ "'") }} as updated_at_utc,
        row_number() over (
            partition by
                member_id,
                {{ to_utc('updated_at', "'" ~ var('default_timezone') ~ "'") }}
            order by business_date desc, _source_file desc, _source_row desc
        ) as delivery_rank
    from source
),

versions as (
    select
        -- ids
        member_id,
        -- programme
        coalesce(lower(tier), 'regular') as tier,
        coalesce(lower(status), 'active') as member_status,
        coalesce(marketing_consent, false) as has_marketing_consent,
        -- validity
        updated_at_utc as valid_from,
        lead(updated_at_utc) over (partition by member_id order by updated_at_utc) as valid_to,
        cast({{ from_utc('updated_at_utc', "'" ~ var('default_timezone') ~ "'") }} as date) as valid_from_date,
        -- lineage
        business_date
    from deliveries
    where delivery_rank = 1
)

select * from versions
