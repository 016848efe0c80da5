-- Every experiment of the design has exactly one control variant (lift is measured against it).
select
    experiment_id,
    sum(case when is_control then 1 else 0 end) as control_variants
from {{ ref('stg_raw__experiments') }}
group by experiment_id
having sum(case when is_control then 1 else 0 end) <> 1
