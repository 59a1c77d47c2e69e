"""Versioned schema migrations, applied when a store opens its database.

``schema_version`` holds the number of the last step applied; ``MIGRATIONS`` is the
ordered list of steps. All pending steps run in one transaction (both SQLite and
PostgreSQL have transactional DDL), so a crash mid-way leaves the previous version.
On PostgreSQL an advisory lock makes replicas starting together take turns; on
SQLite ``BEGIN IMMEDIATE`` does the same.

A new schema change is a new step at the end that issues its own DDL: step 1 may
create tables from today's models only because it is the first.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import NamedTuple

from sqlalchemy import Connection, select

from bamboo_state_store.db import schema
from bamboo_state_store.db.engine import Database, Dialect

MIGRATION_LOCK_KEY = 0x62616D626F6F  # "bamboo": the advisory lock replicas take to migrate
CONFLICT_SQLSTATE = "BB409"  # raised by bamboo_conflict(): a guard did not hold


class Migration(NamedTuple):
    version: int
    description: str
    apply: Callable[[Connection, Dialect], None]


_V1_TABLES = (*schema.DATA_TABLES, schema.store_meta)
_SEQ_TABLES = ("states", "processes", "context_values")

# Raises the error a failed guard turns into: PostgreSQL checks guards inside the
# one-round-trip commit script, so a mismatch must abort the script by itself.
_CONFLICT_FUNCTION = f"""
CREATE OR REPLACE FUNCTION bamboo_conflict(message text) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = '{CONFLICT_SQLSTATE}', MESSAGE = message;
END
$$
"""


def _initial_schema(conn: Connection, dialect: Dialect) -> None:
    schema.Base.metadata.create_all(conn, tables=list(_V1_TABLES))
    if dialect == "postgresql":
        conn.exec_driver_sql("CREATE SEQUENCE IF NOT EXISTS bamboo_seq")
        for table in _SEQ_TABLES:
            conn.exec_driver_sql(f"ALTER TABLE {table} ALTER COLUMN seq SET DEFAULT nextval('bamboo_seq')")
        conn.exec_driver_sql(_CONFLICT_FUNCTION)
    conn.execute(schema.store_meta.insert().values(key="store_id", value=uuid.uuid4().hex))


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema: tables, insertion-order sequence, guard function, store id", _initial_schema),
)


def current_version(conn: Connection) -> int:
    version = conn.scalar(select(schema.schema_version.c.version).where(schema.schema_version.c.id == 1))
    return int(version or 0)


def migrate(db: Database) -> int:
    """Apply every pending step; return the schema version now in place."""
    with db.transaction() as conn:
        if db.dialect == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
        schema.schema_version.create(conn, checkfirst=True)
        current = current_version(conn)
        latest = MIGRATIONS[-1].version
        if current > latest:
            raise RuntimeError(f"database schema version {current} is newer than this state-store ({latest})")
        for migration in MIGRATIONS:
            if migration.version > current:
                migration.apply(conn, db.dialect)
        if current == 0:
            conn.execute(schema.schema_version.insert().values(id=1, version=latest))
        elif current < latest:
            conn.execute(schema.schema_version.update().values(version=latest))
        return latest
