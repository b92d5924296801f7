-- The e-mail hash is computed while dbt runs (the key is a session variable of dbt's
-- connections), so this model is a table, not a view.
{{ config(materialized='table') }}

-- One row per survey response. A response delivered more than once keeps its first business
-- day (the day it was first reported); within that day the latest file version wins (a later
-- file name such as `_part2` or a corrected re-delivery, then the last row of the file).
-- The e-mail is pseudonymised and the comment text stays in this model: marts only get its
-- language, length and sentiment.
with

source as (
    select * from {{ source('survey', 'survey_responses') }}
),

stores as (
    select
        store_id,
        timezone
    from {{ ref('stg_pos__stores') }}
),

sentiment_keywords as (
    select
        keyword,
        sentiment
    from {{ ref('comment_sentiment_keywords') }}
),

deduplicated as (
    select
        *,
        row_number() over (
            partition by response_id
            order by business_date asc, _source_file desc, _source_row desc
        ) as delivery_rank
    from source
),

renamed as (
    select
        -- ids
        deduplicated.response_id,
        nullif(trim(deduplicated.survey_id), '') as survey_id,
        nullif(trim(deduplicated.member_card_id), '') as member_card_id,
        nullif(trim(deduplicated.transaction_id), '') as transaction_id,
        nullif(trim(deduplicated.order_id), '') as order_id,
        nullif(trim(deduplicated.store_id), '') as store_id,
        -- pseudonymised personal data
        {{ pseudonymise('deduplicated.email') }} as email_hash,
        -- attributes
        lower(trim(deduplicated.touchpoint)) as touchpoint,
        lower(trim(deduplicated.channel)) as channel,
        -- scores
        cast(deduplicated.nps as integer) as nps,
        cast(deduplicated.csat as integer) as csat,
        cast(deduplicated.rating_product_quality as integer) as rating_product_quality,
        cast(deduplicated.rating_service as integer) as rating_service,
        cast(deduplicated.rating_price_value as integer) as rating_price_value,
        cast(deduplicated.rating_experience as integer) as rating_experience,
        cast(deduplicated.rating_brand_trust as integer) as rating_brand_trust,
        -- comment
        nullif(trim(deduplicated.comment), '') as comment_text,
        lower({{ dbt.split_part("trim(deduplicated.language)", "'-'", 1) }}) as given_language,
        -- timestamps: text with an offset is absolute; without one it is the store's local
        -- time. The local date is the day in the store's time zone (LOYALTY_TIMEZONE for
        -- online answers), whatever offset the survey tool wrote.
        {{ to_utc('deduplicated.submitted_at', "coalesce(stores.timezone, '" ~ var('default_timezone') ~ "')") }}
            as submitted_at,
        cast({{ from_utc(
            to_utc('deduplicated.submitted_at', "coalesce(stores.timezone, '" ~ var('default_timezone') ~ "')"),
            "coalesce(stores.timezone, '" ~ var('default_timezone') ~ "')") }} as date) as submitted_date,
        deduplicated.business_date
    from deduplicated
    left join stores on deduplicated.store_id = stores.store_id
    where deduplicated.delivery_rank = 1
),

-- simple keyword sentiment: count positive and negative keywords found in the comment
keyword_hits as (
    select
        renamed.response_id,
        sum(case when sentiment_keywords.sentiment = 'positive' then 1 else 0 end) as positive_hits,
        sum(case when sentiment_keywords.sentiment = 'negative' then 1 else 0 end) as negative_hits
    from renamed
    inner join sentiment_keywords
        on lower(renamed.comment_text) like {{ dbt.concat(["'%'", "sentiment_keywords.keyword", "'%'"]) }}
    group by renamed.response_id
),

final as (
    select
        -- ids
        renamed.response_id,
        renamed.survey_id,
        renamed.member_card_id,
        renamed.email_hash,
        renamed.transaction_id,
        renamed.order_id,
        renamed.store_id,
        -- attributes
        renamed.touchpoint,
        renamed.channel,
        -- scores
        renamed.nps,
        renamed.csat,
        renamed.rating_product_quality,
        renamed.rating_service,
        renamed.rating_price_value,
        renamed.rating_experience,
        renamed.rating_brand_trust,
        case
            when renamed.nps >= 9 then 'promoter'
            when renamed.nps >= 7 then 'passive'
            when renamed.nps >= 0 then 'detractor'
        end as nps_category,
        renamed.csat >= 4 as is_csat_satisfied,
        -- comment
        renamed.comment_text,
        case
            when renamed.comment_text is null then null
            when renamed.given_language is not null and renamed.given_language <> '' then renamed.given_language
            when {{ has_cjk_characters('renamed.comment_text') }} then 'zh'
            when {{ has_latin_letters('renamed.comment_text') }} then 'en'
        end as comment_language,
        length(renamed.comment_text) as comment_length,
        case
            when renamed.comment_text is null then null
            when coalesce(keyword_hits.positive_hits, 0) > coalesce(keyword_hits.negative_hits, 0) then 'positive'
            when coalesce(keyword_hits.negative_hits, 0) > coalesce(keyword_hits.positive_hits, 0) then 'negative'
            else 'neutral'
        end as comment_sentiment,
        -- timestamps
        renamed.submitted_at,
        renamed.submitted_date,
        renamed.business_date
    from renamed
    left join keyword_hits on renamed.response_id = keyword_hits.response_id
)

select * from final
