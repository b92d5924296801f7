-- One row per scope (all, store, channel, tier) x scope value x loyalty driver: how the
-- driver's survey rating goes with NPS and with repurchase within 90 days. Drivers are ranked
-- within their scope by the Pearson correlation of rating and NPS (1 = moves NPS most).
-- Correlations and ranks need var('min_driver_responses') rated answers in the scope; below
-- that they are null and the row is flagged (means and rates are still shown).
{%- set scopes = {
    'all': "'all'",
    'store': 'store_id',
    'channel': 'channel',
    'tier': 'tier',
} %}
{#- survey rating column suffix -> the loyalty driver of the domain model -#}
{%- set drivers = {
    'product_quality': 'product quality',
    'experience': 'customer experience',
    'price_value': 'price reasonableness',
    'brand_trust': 'brand image',
    'service': 'relationship management',
} %}
{%- set min_responses = var('min_driver_responses', 50) %}

with

responses as (
    select * from {{ ref('fct_survey_responses') }}
),

scoped as (
    {%- for scope_type, scope_column in scopes.items() %}
        select
            '{{ scope_type }}' as scope_type,
            coalesce(cast({{ scope_column }} as {{ dbt.type_string() }}), 'unknown') as scope_value,
            response_id,
            nps,
            nps_category,
            has_repurchased_90d,
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

-- one row per scope x response x driver rated
ratings as (
    {%- for driver, loyalty_driver in drivers.items() %}
        select
            scope_type,
            scope_value,
            '{{ driver }}' as driver,
            '{{ loyalty_driver }}' as loyalty_driver,
            response_id,
            cast(rating_{{ driver }} as double) as rating,
            rating_{{ driver }} >= 4 as is_high_rating,
            cast(nps as double) as nps,
            nps_category,
            case when has_repurchased_90d then 1.0 when not has_repurchased_90d then 0.0 end as repurchased
        from scoped
        where rating_{{ driver }} is not null
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

aggregated as (
    select
        scope_type,
        scope_value,
        driver,
        loyalty_driver,
        count(*) as responses,
        count(nps) as nps_responses,
        count(repurchased) as repurchase_responses,
        avg(rating) as mean_rating,
        corr(rating, nps) as nps_correlation,
        corr(rating, repurchased) as repurchase_correlation,
        -- NPS and repurchase of high (4-5) and low (1-3) raters
        sum(case when is_high_rating and nps is not null then 1 else 0 end) as high_nps_responses,
        sum(case when is_high_rating and nps_category = 'promoter' then 1 else 0 end) as high_promoters,
        sum(case when is_high_rating and nps_category = 'detractor' then 1 else 0 end) as high_detractors,
        sum(case when not is_high_rating and nps is not null then 1 else 0 end) as low_nps_responses,
        sum(case when not is_high_rating and nps_category = 'promoter' then 1 else 0 end) as low_promoters,
        sum(case when not is_high_rating and nps_category = 'detractor' then 1 else 0 end) as low_detractors,
        avg(case when is_high_rating then repurchased end) as repurchase_rate_high,
        avg(case when not is_high_rating then repurchased end) as repurchase_rate_low
    from ratings
    group by scope_type, scope_value, driver, loyalty_driver
),

scored as (
    select
        *,
        100.0 * (high_promoters - high_detractors) / nullif(high_nps_responses, 0) as nps_high,
        100.0 * (low_promoters - low_detractors) / nullif(low_nps_responses, 0) as nps_low,
        responses < {{ min_responses }} as is_small_sample
    from aggregated
),

final as (
    select
        -- keys
        scope_type,
        scope_value,
        driver,
        loyalty_driver,
        -- sample
        responses,
        nps_responses,
        repurchase_responses,
        high_nps_responses,
        low_nps_responses,
        -- rating
        round(mean_rating, 2) as mean_rating,
        -- correlations (null on small samples)
        case when not is_small_sample then round(nps_correlation, 3) end as nps_correlation,
        case when not is_small_sample then round(repurchase_correlation, 3) end as repurchase_correlation,
        -- NPS of high (4-5) vs low (1-3) raters
        round(nps_high, 1) as nps_high_raters,
        round(nps_low, 1) as nps_low_raters,
        round(nps_high - nps_low, 1) as nps_uplift,
        -- repurchase within 90 days of high vs low raters
        round(repurchase_rate_high, 4) as repurchase_rate_high_raters,
        round(repurchase_rate_low, 4) as repurchase_rate_low_raters,
        round(repurchase_rate_high - repurchase_rate_low, 4) as repurchase_uplift,
        -- rank within the scope
        case
            when not is_small_sample and nps_correlation is not null
                then rank() over (
                    partition by scope_type, scope_value, is_small_sample, nps_correlation is null
                    order by nps_correlation desc
                )
        end as nps_driver_rank,
        case
            when not is_small_sample and repurchase_correlation is not null
                then rank() over (
                    partition by scope_type, scope_value, is_small_sample, repurchase_correlation is null
                    order by repurchase_correlation desc
                )
        end as repurchase_driver_rank,
        -- flags
        is_small_sample
    from scored
)

select * from final
