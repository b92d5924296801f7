-- One row per response month x dimension (all, store, channel, touchpoint, tier, member
-- type) x dimension value: NPS, CSAT and the mean driver ratings with their sample sizes.
-- Rows with fewer NPS answers than var('min_sample_responses') are flagged, not dropped.
{%- set dimensions = {
    'all': "'all'",
    'store': 'store_id',
    'channel': 'channel',
    'touchpoint': 'touchpoint',
    'tier': 'tier',
    'member_type': 'member_type',
} %}

with

responses as (
    select * from {{ ref('fct_survey_responses') }}
),

by_dimension as (
    {%- for dimension_type, dimension_column in dimensions.items() %}
        select
            response_month,
            '{{ dimension_type }}' as dimension_type,
            coalesce(cast({{ dimension_column }} as {{ dbt.type_string() }}), 'unknown') as dimension_value,
            response_id,
            nps,
            nps_category,
            csat,
            is_csat_satisfied,
            rating_product_quality,
            rating_experience,
            rating_price_value,
            rating_brand_trust,
            rating_service
        from responses
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

aggregated as (
    select
        response_month,
        dimension_type,
        dimension_value,
        count(*) as responses,
        count(nps) as nps_responses,
        sum(case when nps_category = 'promoter' then 1 else 0 end) as promoters,
        sum(case when nps_category = 'passive' then 1 else 0 end) as passives,
        sum(case when nps_category = 'detractor' then 1 else 0 end) as detractors,
        count(csat) as csat_responses,
        sum(case when is_csat_satisfied then 1 else 0 end) as csat_satisfied_responses,
        avg(rating_product_quality) as avg_rating_product_quality,
        avg(rating_experience) as avg_rating_experience,
        avg(rating_price_value) as avg_rating_price_value,
        avg(rating_brand_trust) as avg_rating_brand_trust,
        avg(rating_service) as avg_rating_service
    from by_dimension
    group by response_month, dimension_type, dimension_value
),

final as (
    select
        -- keys
        response_month,
        dimension_type,
        dimension_value,
        -- counts
        responses,
        nps_responses,
        promoters,
        passives,
        detractors,
        csat_responses,
        csat_satisfied_responses,
        -- scores
        round(100.0 * (promoters - detractors) / nullif(nps_responses, 0), 1) as nps,
        round(1.0 * csat_satisfied_responses / nullif(csat_responses, 0), 4) as csat_satisfied_share,
        round(avg_rating_product_quality, 2) as avg_rating_product_quality,
        round(avg_rating_experience, 2) as avg_rating_experience,
        round(avg_rating_price_value, 2) as avg_rating_price_value,
        round(avg_rating_brand_trust, 2) as avg_rating_brand_trust,
        round(avg_rating_service, 2) as avg_rating_service,
        -- flags
        nps_responses < {{ var('min_sample_responses', 30) }} as is_small_sample
    from aggregated
)

select * from final
