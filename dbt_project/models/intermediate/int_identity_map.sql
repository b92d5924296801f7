{{ config(materialized='table') }}

-- One member per identifier (card, online account, e-mail hash, phone hash, device
-- cookie): the chosen link of int_identity_links. Everything that carries one of these
-- identifiers gets its member_id here, so a late link (a device whose owner logs in
-- later) applies to all its history at the next build.
with

links as (
    select * from {{ ref('int_identity_links') }}
),

final as (
    select
        -- ids
        identifier_type,
        identifier_value,
        member_id,
        -- how the link was made
        link_method,
        evidence_count,
        candidate_members,
        candidate_members > 1 as is_ambiguous,
        -- timestamps
        first_linked_at
    from links
    where is_chosen
)

select * from final
