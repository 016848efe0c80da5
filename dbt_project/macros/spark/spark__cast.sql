{#-
    Spark's implementation of dbt's cross-database `cast`, which dbt also uses to check model contracts
    (`cast(null as <data_type>)` for every column the YAML declares). The contracts are written with the
    PostgreSQL/DuckDB type names; Spark knows `double precision`, bare `varchar` and `numeric` by other
    names, so those are translated here and everything else is passed through.
-#}
{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ spark_type_name(type) }})
{%- endmacro %}
