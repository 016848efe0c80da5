{#-
    Standard normal cumulative distribution function Phi(x) as a plain SQL expression: no dispatch, only
    abs, least, exp and arithmetic, so the same text runs on DuckDB and PostgreSQL.

    Abramowitz & Stegun 26.2.17 (Hastings' rational approximation): for a = |x|,
        t = 1 / (1 + p a),  Q(a) = phi(a) (b1 t + b2 t^2 + b3 t^3 + b4 t^4 + b5 t^5)
    is the upper tail with absolute error below 7.5e-8; Phi(x) = 1 - Q(|x|) for x >= 0, Q(|x|) otherwise.
    |x| is capped at 37 (Phi(37) is 1 in double precision) so that exp() never underflows: PostgreSQL raises
    an error on a float underflow instead of returning 0. Null in, null out.

    `x` is inlined several times: pass a column name (compute the z-score in an earlier CTE), not a long
    expression.
-#}
{% macro normal_cdf(x) -%}
    {%- set a = 'least(abs(cast(' ~ x ~ ' as ' ~ type_double() ~ ')), 37.0)' -%}
    {%- set t = '(1.0 / (1.0 + 0.2316419 * ' ~ a ~ '))' -%}
    {%- set upper_tail -%}
        (0.3989422804014327 * exp(-0.5 * {{ a }} * {{ a }})
            * {{ t }} * (0.319381530 + {{ t }} * (-0.356563782 + {{ t }} * (1.781477937
            + {{ t }} * (-1.821255978 + {{ t }} * 1.330274429)))))
    {%- endset -%}
    (case
        when {{ x }} is null then null
        when {{ x }} >= 0 then 1.0 - {{ upper_tail }}
        else {{ upper_tail }}
    end)
{%- endmacro %}
