{#-
    Survival function (upper-tail p-value) of the chi-square distribution, P(X >= x) for X ~ chi2(df),
    as a plain SQL expression for integer degrees of freedom 1 .. max_df (null above; null for null input).

    Closed forms for integer df (Abramowitz & Stegun 26.4.4 and 26.4.5), exact up to the error of
    normal_cdf (< 7.5e-8):
      df even = 2m:     Q = exp(-x/2) * sum_{i=0}^{m-1} (x/2)^i / i!
      df odd = 2m + 1:  Q = 2 (1 - Phi(sqrt x)) + 2 phi(sqrt x) * sum_{i=1}^{m} x^((2i-1)/2) / (1*3*...*(2i-1))
    The sums are unrolled here to max_df terms, each switched on by `case` when i is within the row's df, so
    df may vary by row (one sample-ratio test per experiment with its own number of variants).

    Guards for PostgreSQL, which raises an error on float underflow: x is capped at 1400 (exp(-700) is the
    smallest factor used; the p-value there is 0 to double precision), and a power term is only evaluated when
    it cannot underflow (below that threshold it is < 1e-250 and is dropped).
-#}
{% macro chi_square_sf(x, df, max_df=50) -%}
    {%- set xc = 'least(cast(' ~ x ~ ' as ' ~ type_double() ~ '), 1400.0)' -%}
    {%- set half_terms = (max_df // 2) -%}
    {%- set factorial = namespace(value=1.0) -%}
    {%- set double_factorial = namespace(value=1.0) -%}
    (case
        when {{ x }} is null or {{ df }} is null or {{ df }} < 1 or {{ df }} > {{ max_df }} then null
        when {{ x }} <= 0 then 1.0
        when mod({{ df }}, 2) = 0 then exp(-0.5 * {{ xc }}) * (1.0
            {%- for i in range(1, half_terms + 1) %}
            {%- set factorial.value = factorial.value * i %}
            + case
                when {{ i }} <= ({{ df }} - 2) / 2 and {{ xc }} > {{ 2.0 * (10.0 ** (-250.0 / i)) }}
                    then power(0.5 * {{ xc }}, {{ i }}) / {{ factorial.value }}
                else 0.0
            end
            {%- endfor %})
        else 2.0 * (1.0 - {{ normal_cdf('sqrt(' ~ xc ~ ')') }})
            + 2.0 * 0.3989422804014327 * exp(-0.5 * {{ xc }}) * (0.0
            {%- for i in range(1, half_terms + 1) %}
            {%- set double_factorial.value = double_factorial.value * (2 * i - 1) %}
            + case
                when {{ i }} <= ({{ df }} - 1) / 2 and {{ xc }} > {{ 10.0 ** (-250.0 / (i - 0.5)) }}
                    then power({{ xc }}, {{ i - 0.5 }}) / {{ double_factorial.value }}
                else 0.0
            end
            {%- endfor %})
    end)
{%- endmacro %}
