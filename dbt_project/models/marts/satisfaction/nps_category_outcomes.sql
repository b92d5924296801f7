-- One row per NPS category and response month, plus one overall row per category with a
-- null response_month: what promoters, passives and detractors did after answering.
-- Rates are over the responses whose window is complete and whose respondent is a known
-- member (anonymous respondents and recent responses do not count); responses without an
-- NPS answer are left out.
with

responses as (
    select * from {{ ref('fct_survey_responses') }}
    where nps_category is not null
),

by_period as (
    select
        response_month,
        nps_category,
        response_id,
        member_id,
        has_repurchased_90d,
        is_churned_180d,
        days_to_next_purchase,
        net_spend_90d
    from responses
    union all
    select
        cast(null as date) as response_month,
        nps_category,
        response_id,
        member_id,
        has_repurchased_90d,
        is_churned_180d,
        days_to_next_purchase,
        net_spend_90d
    from responses
),

final as (
    select
        -- keys
        response_month,
        nps_category,
        -- counts
        count(*) as respondents,
        count(member_id) as member_respondents,
        count(has_repurchased_90d) as repurchase_evaluable_respondents,
        count(is_churned_180d) as churn_evaluable_respondents,
        -- outcomes
        round(avg(case when has_repurchased_90d then 1.0 when not has_repurchased_90d then 0.0 end), 4)
            as repurchase_rate_90d,
        round(avg(case when is_churned_180d then 1.0 when not is_churned_180d then 0.0 end), 4)
            as churn_rate_180d,
        round(avg(days_to_next_purchase), 1) as avg_days_to_next_purchase,
        round(avg(net_spend_90d), 2) as avg_net_spend_90d
    from by_period
    group by response_month, nps_category
)

select * from final
