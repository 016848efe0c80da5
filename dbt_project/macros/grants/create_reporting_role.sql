{#-
    The read-only role that BI tools (the dashboard) use on PostgreSQL: env REPORTING_ROLE, default growth_reporting.
    Run from on-run-start. Creates the role when missing (LOGIN, no password: trust/peer setups can log in, password
    setups set one by hand), lets it see schema marts, and makes its sessions read-only by default. The tables in
    marts get `select` through the models' `grants` config (dbt_project.yml), so the role reads marts only: it has
    no privilege on raw, staging or intermediate and none to write anywhere. DuckDB has no roles: nothing runs.

    PostgreSQL gives PUBLIC (every role) CONNECT and TEMPORARY on each new database: the role could create temporary
    tables and functions after `set default_transaction_read_only = off`. So on the warehouse database PUBLIC loses
    both, the reporting role gets CONNECT by name, and the database's owner keeps its own rights. What remains is
    listed in docs/operating.md (other databases of the server are not this project's to change).
-#}
{% macro create_reporting_role() -%}
    {{ return(adapter.dispatch('create_reporting_role')()) }}
{%- endmacro %}

{% macro default__create_reporting_role() -%}
    select 1 as no_reporting_role_on_this_warehouse
{%- endmacro %}

{% macro postgres__create_reporting_role() -%}
    {%- set role = reporting_role() -%}
    do $$
    begin
        if not exists (select 1 from pg_catalog.pg_roles where rolname = '{{ role }}') then
            begin
                create role {{ adapter.quote(role) }} login;
            exception when duplicate_object or unique_violation then
                null;  -- a concurrent run created it meanwhile
            end;
        end if;
        if not exists (
            select 1
            from pg_catalog.pg_db_role_setting as s
            inner join pg_catalog.pg_roles as r on s.setrole = r.oid
            where r.rolname = '{{ role }}'
                and s.setdatabase = 0
                and 'default_transaction_read_only=on' = any(s.setconfig)
        ) then
            begin
                alter role {{ adapter.quote(role) }} set default_transaction_read_only = on;
            exception when others then
                null;  -- roles are cluster-wide: a concurrent run may be setting it at the same moment
            end;
        end if;
    end
    $$;
    create schema if not exists marts;
    grant usage on schema marts to {{ adapter.quote(role) }};
    do $$
    begin
        -- granted by name (has_database_privilege would also count PUBLIC's right, about to be revoked)
        if not exists (
            select 1
            from pg_catalog.pg_database as d
            cross join lateral aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) as a
            where d.datname = current_database()
                and a.grantee = '{{ role }}'::regrole
                and a.privilege_type = 'CONNECT'
        ) then
            execute format('grant connect on database %I to %I', current_database(), '{{ role }}');
        end if;
        if exists (
            select 1
            from pg_catalog.pg_database as d
            cross join lateral aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) as a
            where d.datname = current_database()
                and a.grantee = 0  -- PUBLIC
                and a.privilege_type in ('CONNECT', 'TEMPORARY')
        ) then
            execute format('revoke connect, temporary on database %I from public', current_database());
        end if;
    end
    $$
{%- endmacro %}
