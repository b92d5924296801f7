-- Research online, buy in store applies to till purchases only, the strict (same product)
-- flag implies the loose one, and click and collect applies to online orders only.
select
    purchase_id,
    purchase_channel,
    fulfilment,
    is_research_online_buy_in_store,
    is_robis_same_product,
    is_click_and_collect
from {{ ref('fct_purchase_journeys') }}
where
    (is_research_online_buy_in_store and purchase_channel <> 'store')
    or (is_robis_same_product and not is_research_online_buy_in_store)
    or (is_click_and_collect and purchase_channel = 'store')
