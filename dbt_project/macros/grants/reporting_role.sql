{#- Name of the read-only reporting role (env REPORTING_ROLE, default growth_reporting); validated. -#}
{% macro reporting_role() -%}
    {%- set role = env_var('REPORTING_ROLE', 'growth_reporting') | trim -%}
    {%- if not modules.re.match('^[a-z_][a-z0-9_]{0,62}$', role) -%}
        {{ exceptions.raise_compiler_error("REPORTING_ROLE=" ~ role ~ ": use lowercase letters, digits and _ (a plain PostgreSQL role name)") }}
    {%- endif -%}
    {{ return(role) }}
{%- endmacro %}
