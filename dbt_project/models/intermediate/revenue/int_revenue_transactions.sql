{#-
    One row per revenue-bearing transaction, signed: succeeded charges count positive, succeeded refunds
    negative. var('revenue_source') picks where revenue comes from: 'payments' (raw.payments), 'events'
    (the amount on events named in var('revenue_events')) or 'none' (a business without revenue, such as the
    health programme: no rows, so every revenue mart is zeros and nulls). Only the chosen source is read.
-#}
{%- set revenue_source = var('revenue_source', 'payments') -%}
{%- if revenue_source not in ('payments', 'events', 'none') -%}
    {{ exceptions.raise_compiler_error("var('revenue_source') must be 'payments', 'events' or 'none', got '" ~ revenue_source ~ "'") }}
{%- endif -%}
{#- Both sources are parents whatever the var says: the DAG (and so the build order, and the unit tests that feed
    either source) must not depend on a var. -#}
-- depends_on: {{ ref('stg_raw__payments') }}
-- depends_on: {{ ref('stg_raw__events') }}

with

{% if revenue_source == 'payments' -%}
payments as (

    select
        payment_id,
        user_id,
        subscription_id,
        plan_id,
        payment_type,
        currency,
        amount,
        created_at,
        created_at_local
    from {{ ref('stg_raw__payments') }}
    where status = 'succeeded'

),

transactions as (

    select
        payment_id as transaction_id,
        user_id,
        subscription_id,
        plan_id,
        case when payment_type = 'refund' then 'refund' else 'payment' end as source,
        currency,
        case when payment_type = 'refund' then -amount else amount end as amount,
        cast(created_at_local as date) as revenue_date,
        created_at as occurred_at
    from payments
    where payment_type in ('charge', 'refund')

),
{%- else -%}
revenue_events as (

    select
        event_id,
        user_id,
        amount,
        occurred_at,
        occurred_at_local
    from {{ ref('stg_raw__events') }}
    where
        {% if revenue_source == 'none' -%}
        1 = 0
        {%- else -%}
        event_name in ({{ sql_string_list(var('revenue_events'), "var('revenue_events')") }})
        {%- endif %}
        and amount is not null

),

transactions as (

    select
        event_id as transaction_id,
        user_id,
        cast(null as {{ dbt.type_string() }}) as subscription_id,
        cast(null as {{ dbt.type_string() }}) as plan_id,
        'event' as source,
        cast(null as {{ dbt.type_string() }}) as currency,
        amount,
        cast(occurred_at_local as date) as revenue_date,
        occurred_at
    from revenue_events

),
{%- endif %}

final as (

    select
        cast(transaction_id as {{ dbt.type_string() }}) as transaction_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(subscription_id as {{ dbt.type_string() }}) as subscription_id,
        cast(plan_id as {{ dbt.type_string() }}) as plan_id,
        cast(source as {{ dbt.type_string() }}) as source,
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(amount as numeric(18, 2)) as amount,
        revenue_date,
        occurred_at
    from transactions

)

select * from final
