"""Orchestration: generate (or import) -> load -> dbt build -> docs, and the dbt runner shared with the tests."""
