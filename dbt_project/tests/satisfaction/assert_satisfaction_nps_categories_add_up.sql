-- Every NPS answer is exactly one of promoter, passive or detractor.
select
    response_month,
    dimension_type,
    dimension_value,
    promoters,
    passives,
    detractors,
    nps_responses
from {{ ref('satisfaction_monthly') }}
where promoters + passives + detractors <> nps_responses
