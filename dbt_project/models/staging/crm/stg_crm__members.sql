-- The hashes are computed while dbt runs (the key is a session variable of dbt's
-- connections), so this model is a table, not a view.
{{ config(materialized='table') }}

-- One row per member: the latest version from the register, with personal data
-- pseudonymised (keyed hash) or generalised. Name and birth date do not leave this model.
with

source as (
    select * from {{ source('crm', 'crm_members') }}
),

as_of as (
    -- ages are measured at the latest register delivery, so a rebuild gives the same bands
    select max(business_date) as as_of_date from source
),

latest as (
    select
        source.*,
        {{ days_between('source.birth_date', 'as_of.as_of_date') }} as age_days,
        row_number() over (
            partition by source.member_id
            order by
                {{ to_utc('source.updated_at', "'" ~ var('default_timezone') ~ "'") }} desc,
                source.business_date desc,
                source._source_file desc,
                source._source_row desc
        ) as version_rank
    from source
    cross join as_of
),

renamed as (
    select
        -- ids
        member_id,
        nullif(trim(card_id), '') as card_id,
        nullif(trim(online_account_id), '') as online_account_id,
        -- pseudonymised and generalised personal data
        {{ pseudonymise('email') }} as email_hash,
        {{ pseudonymise(digits_only('phone')) }} as phone_hash,
        case
            when birth_date is null then 'unknown'
            when age_days < 18 * 365.25
                then 'under 18'
            when age_days < 25 * 365.25
                then '18-24'
            when age_days < 35 * 365.25
                then '25-34'
            when age_days < 45 * 365.25
                then '35-44'
            when age_days < 55 * 365.25
                then '45-54'
            when age_days < 65 * 365.25
                then '55-64'
            else '65+'
        end as age_band,
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
