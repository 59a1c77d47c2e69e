"""The state-store's PostgreSQL sessions plan the step load with index lookups only.

A new database has nearly empty tables; planned against them, PostgreSQL would keep
whole-table scans in the cached plan of the prepared step load as the tables grow
(every step then reads every row). ``db.engine.PG_SESSION_OPTIONS`` prevents that.
"""

from __future__ import annotations

from bamboo_state_store.db import pg_sql
from bamboo_state_store.db.engine import Database
from bamboo_state_store.sql_store import SqlStore
from tests.pg import reset_store


def test_the_step_load_is_planned_with_index_lookups_on_empty_tables(pg_store: SqlStore, pg_url: str) -> None:
    reset_store(pg_store, pg_url)  # the schema, every table empty
    db = Database(pg_url, pool_size=1)
    try:
        with db.raw() as conn, conn.cursor() as cur:
            cur.execute(pg_sql.PREPARE_ALL)
            params = ("p1", "n1", "s1", True, ["n2", "n3"])
            for _ in range(6):  # past the executions after which PostgreSQL may cache a generic plan
                cur.execute(pg_sql.LOAD_STEP.execute, params)
                assert cur.fetchall() == []
            cur.execute("EXPLAIN " + pg_sql.LOAD_STEP.execute, params)
            plan = "\n".join(line for (line,) in cur.fetchall())
            cur.execute("DEALLOCATE ALL")
    finally:
        db.dispose()
    assert "Seq Scan" not in plan, plan
    for table in ("states", "execution_data", "node_inputs", "context_values"):
        assert f" on {table} " in plan, plan
