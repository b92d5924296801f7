-- The hashes are computed while dbt runs (the key is a session variable of dbt's
-- connections), so this model is a table, not a view.
{{ config(materialized='table') }}

-- One row per member: the latest version from the register, with personal data
-- pseudonymised (keyed hash) or generalised. Name and birth date do not leave this model.
with

source as (
    select * from {{ source('crm', 'crm_members') }}
),

latest as (
    select
        *,
        row_number() over (
            partition by member_id
            order by
                {{ to_utc('updated_at', "'" ~ var('default_timezone') ~ "'") }} desc,
                business_date desc,
                _source_file desc,
                _source_row desc
        ) as version_rank
    from source
),

renamed as (
    select
        -- ids
        member_id,
        nullif(trim(card_id), '') as card_id,
        nullif(trim(online_account_id), '') as online_account_id,
        -- pseudonymised and generalised personal data
        {{ pseudonymise('email') }} as email_hash,
        {{ pseudonymise("regexp_replace(phone, '[^0-9]', '', 'g')") }} as phone_hash,
        year(birth_date) as birth_year,
        upper(left(trim(gender), 1)) as gender,
        left(trim(postcode), 3) as postcode_district,
        city,
        -- programme
        lower(enrolment_channel) as enrolment_channel,
        coalesce(lower(tier), 'regular') as tier,
        coalesce(marketing_consent, false) as has_marketing_consent,
        coalesce(lower(status), 'active') as member_status,
        -- timestamps
        {{ to_utc('enrolled_at', "'" ~ var('default_timezone') ~ "'") }} as enrolled_at,
        {{ to_utc('updated_at', "'" ~ var('default_timezone') ~ "'") }} as updated_at
    from latest
    where version_rank = 1
)

select * from renamed
