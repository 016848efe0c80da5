"""The read-only reporting role on PostgreSQL: reads every mart, cannot read raw/staging/intermediate, writes nothing.

dbt creates the role (on-run-start hook, macros/grants/create_reporting_role.sql) and grants `select` on every
marts table (`grants` config in dbt_project.yml). The dashboard logs in as that role.
"""

from __future__ import annotations

import os

import pytest

from analytics.marts import Settings, Warehouse

ROLE = os.environ.get("REPORTING_ROLE", "growth_reporting")


def _connect_as_role(database: str):
    import psycopg

    return psycopg.connect(
        host=os.environ.get("PGHOST", "127.0.0.1"),
        port=int(os.environ.get("PGPORT", "5432")),
        user=ROLE,
        password=os.environ.get("REPORTING_PASSWORD") or None,
        dbname=database,
        autocommit=True,
    )


def _relations(built, schema: str) -> list[str]:
    df = built.query(
        "select table_name from information_schema.tables where table_schema = %s order by table_name", (schema,)
    )
    return list(df["table_name"])


def test_role_exists_with_read_only_default(built_postgres):
    df = built_postgres.query(
        "select r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolcanlogin, s.setconfig"
        " from pg_roles as r left join pg_db_role_setting as s on s.setrole = r.oid and s.setdatabase = 0"
        " where r.rolname = %s",
        (ROLE,),
    )
    assert len(df) == 1, f"role {ROLE} was not created by the on-run-start hook"
    row = df.iloc[0]
    assert not row["rolsuper"] and not row["rolcreatedb"] and not row["rolcreaterole"]
    assert row["rolcanlogin"]
    assert "default_transaction_read_only=on" in list(row["setconfig"] or [])


def test_role_reads_every_mart_with_the_same_rows(built_postgres):
    marts = _relations(built_postgres, "marts")
    assert {"dim_users", "fct_daily_metrics"} <= set(marts)
    with _connect_as_role(built_postgres.pg_database) as conn:
        assert conn.execute("select current_user").fetchone()[0] == ROLE
        for table in marts:
            as_role = conn.execute(f'select count(*) from marts."{table}"').fetchone()[0]
            as_owner = int(built_postgres.query(f'select count(*) as n from marts."{table}"')["n"].iloc[0])
            assert as_role == as_owner, table


@pytest.mark.parametrize("schema", ["raw", "staging", "intermediate"])
def test_role_cannot_read_other_schemas(built_postgres, schema):
    import psycopg

    relations = _relations(built_postgres, schema)
    assert relations, f"schema {schema} has no relation to try"
    with _connect_as_role(built_postgres.pg_database) as conn:
        for relation in relations:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f'select 1 from {schema}."{relation}" limit 1')


@pytest.mark.parametrize(
    "statement",
    [
        "insert into marts.dim_users (user_id) values ('intruder')",
        "update marts.fct_daily_metrics set signups = 0",
        "delete from marts.dim_users",
        "truncate marts.fct_daily_metrics",
        "drop table marts.dim_users",
        "create table marts.intruder (i integer)",
        "create table public.intruder (i integer)",
        "create schema intruder",
        "insert into raw.users (user_id, created_at, loaded_at) values ('x', now(), now())",
    ],
)
def test_role_cannot_write(built_postgres, statement):
    """Refused by privileges, not only by the read-only default: the session first asks for read-write."""
    import psycopg

    with _connect_as_role(built_postgres.pg_database) as conn:
        conn.execute("set session characteristics as transaction read write")
        with pytest.raises((psycopg.errors.InsufficientPrivilege, psycopg.errors.WrongObjectType)):
            conn.execute(statement)
    # nothing changed
    assert (
        int(built_postgres.query("select count(*) as n from marts.dim_users where user_id = 'intruder'")["n"].iloc[0])
        == 0
    )


def test_dashboard_reader_logs_in_as_the_role(built_postgres, monkeypatch):
    monkeypatch.setenv("PGDATABASE", built_postgres.pg_database)
    reader = Warehouse(Settings(backend="postgres", pg_database=built_postgres.pg_database, reporting_role=ROLE))
    assert reader.df("select current_user as u")["u"].iloc[0] == ROLE
    expected = int(built_postgres.query("select count(*) as n from marts.dim_users")["n"].iloc[0])
    assert reader.row_count("dim_users") == expected
    assert "dim_users" in reader.catalogue()
    assert not any(name.startswith("stg_") for name in reader.catalogue())


@pytest.mark.parametrize(
    "statement",
    [
        "create temp table intruder (i integer)",
        "create function pg_temp.intruder() returns integer language sql as 'select 1'",
    ],
)
def test_role_cannot_create_temporary_objects(built_postgres, statement):
    """PUBLIC's default TEMPORARY right on the database is revoked: read-write sessions cannot create them either."""
    import psycopg

    with _connect_as_role(built_postgres.pg_database) as conn:
        conn.execute("set session characteristics as transaction read write")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)


def test_only_named_roles_may_connect_to_the_warehouse_database(built_postgres):
    """PUBLIC keeps neither CONNECT nor TEMPORARY on the warehouse database; the role connects by name only."""
    df = built_postgres.query(
        "select case when a.grantee = 0 then 'PUBLIC' else pg_get_userbyid(a.grantee) end as grantee,"
        " a.privilege_type as privilege"
        " from pg_database as d cross join lateral aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) as a"
        " where d.datname = current_database()"
    )
    granted = set(zip(df["grantee"], df["privilege"], strict=True))
    assert not {g for g in granted if g[0] == "PUBLIC"}, granted
    assert {g for g in granted if g[0] == ROLE} == {(ROLE, "CONNECT")}
