"""The state-store's tables, as SQLAlchemy 2.0 typed models.

Table and column names are a contract: the relay and operators' SQL rely on them
(see the issue-3 plan). Values a flow produces (inputs, outputs, context values,
root data, the tree) are JSON text; work items and events in ``outbox`` / ``timers``
are serialized ``bamboo.v1`` protobuf messages, so the relay publishes them as is.

``seq`` columns keep first-insertion order on PostgreSQL (a shared sequence is
their default, set by the first migration); SQLite orders by its implicit
``rowid``, which an upsert keeps. Either way ``get_states`` / ``get_processes`` /
``get_context`` list rows in the order MemoryStore does.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    Double,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class PipelineRow(Base):
    """One run: its validated tree (the model is rebuilt from it) and its root data."""

    __tablename__ = "pipelines"
    root_id: Mapped[str] = mapped_column(String, primary_key=True)
    tree_json: Mapped[str] = mapped_column(Text)
    root_data_json: Mapped[str] = mapped_column(Text)


class NodeRootRow(Base):
    """Which run every node and subprocess id belongs to (ids are unique across runs)."""

    __tablename__ = "node_roots"
    node_id: Mapped[str] = mapped_column(String, primary_key=True)
    root_id: Mapped[str] = mapped_column(String)


class StateRow(Base):
    __tablename__ = "states"
    __table_args__ = (Index(None, "root_id"),)
    node_id: Mapped[str] = mapped_column(String, primary_key=True)
    root_id: Mapped[str] = mapped_column(String)
    parent_id: Mapped[str] = mapped_column(String)
    name: Mapped[str] = mapped_column(String)  # bamboo_core.states.State value
    version: Mapped[str] = mapped_column(String)
    loop: Mapped[int] = mapped_column(Integer)
    inner_loop: Mapped[int] = mapped_column(Integer)
    scope_pass: Mapped[int] = mapped_column(Integer)
    retry: Mapped[int] = mapped_column(Integer)
    skip: Mapped[bool] = mapped_column(Boolean)
    error_ignored: Mapped[bool] = mapped_column(Boolean)
    created_time: Mapped[float] = mapped_column(Double)
    started_time: Mapped[float | None] = mapped_column(Double)
    archived_time: Mapped[float | None] = mapped_column(Double)
    seq: Mapped[int | None] = mapped_column(BigInteger)


class ProcessRow(Base):
    __tablename__ = "processes"
    __table_args__ = (Index(None, "root_id"),)
    id: Mapped[str] = mapped_column(String, primary_key=True)
    root_id: Mapped[str] = mapped_column(String)
    parent_id: Mapped[str] = mapped_column(String)
    stack_json: Mapped[str] = mapped_column(Text)  # JSON list of pipeline ids, root first
    current_node_id: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String)  # bamboo_core.records.ProcessStatus value
    version: Mapped[int] = mapped_column(BigInteger)
    destination_id: Mapped[str] = mapped_column(String)
    suspended_by: Mapped[str] = mapped_column(String)
    need_ack: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int | None] = mapped_column(BigInteger)


class ScheduleRow(Base):
    __tablename__ = "schedules"
    __table_args__ = (UniqueConstraint("node_id", "node_version"),)
    id: Mapped[str] = mapped_column(String, primary_key=True)
    node_id: Mapped[str] = mapped_column(String)
    node_version: Mapped[str] = mapped_column(String)
    type: Mapped[int] = mapped_column(Integer)  # bamboo_core ScheduleType value
    process_id: Mapped[str] = mapped_column(String)
    times: Mapped[int] = mapped_column(Integer)
    finished: Mapped[bool] = mapped_column(Boolean)
    expired: Mapped[bool] = mapped_column(Boolean)
    rev: Mapped[int] = mapped_column(BigInteger)
    locked_until: Mapped[float] = mapped_column(Double)


class ExecutionDataRow(Base):
    __tablename__ = "execution_data"
    node_id: Mapped[str] = mapped_column(String, primary_key=True)
    inputs_json: Mapped[str] = mapped_column(Text)
    outputs_json: Mapped[str] = mapped_column(Text)


class NodeInputsRow(Base):
    """Inputs replaced by ``retry_node(data=...)``: {key: {"need_render": bool, "value": any}}."""

    __tablename__ = "node_inputs"
    node_id: Mapped[str] = mapped_column(String, primary_key=True)
    inputs_json: Mapped[str] = mapped_column(Text)


class ContextValueRow(Base):
    __tablename__ = "context_values"
    scope_id: Mapped[str] = mapped_column(String, primary_key=True)
    key: Mapped[str] = mapped_column(String, primary_key=True)
    type: Mapped[str] = mapped_column(String)  # bamboo_core.model.VarType value
    value_json: Mapped[str] = mapped_column(Text)
    code: Mapped[str] = mapped_column(String)
    seq: Mapped[int | None] = mapped_column(BigInteger)


# Ids that grow forever on SQLite too (AUTOINCREMENT): a plain INTEGER PRIMARY KEY reuses
# the highest id once its row is deleted, and a reused outbox id inside JetStream's
# duplicate window would make it drop a new message as a duplicate.
_SQLITE_NEVER_REUSE = {"sqlite_autoincrement": True}


class HistoryRow(Base):
    __tablename__ = "histories"
    __table_args__ = (Index(None, "node_id"), _SQLITE_NEVER_REUSE)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    node_id: Mapped[str] = mapped_column(String)
    started_time: Mapped[float | None] = mapped_column(Double)
    archived_time: Mapped[float | None] = mapped_column(Double)
    loop: Mapped[int] = mapped_column(Integer)
    retry: Mapped[int] = mapped_column(Integer)
    skip: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[str] = mapped_column(String)
    inputs_json: Mapped[str] = mapped_column(Text)
    outputs_json: Mapped[str] = mapped_column(Text)


class TimerRow(Base):
    """Work due later. ``subject`` is where the work goes once due, so firing needs no decoding."""

    __tablename__ = "timers"
    __table_args__ = (Index(None, "due"), _SQLITE_NEVER_REUSE)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    due: Mapped[float] = mapped_column(Double)
    subject: Mapped[str] = mapped_column(String)
    payload: Mapped[bytes] = mapped_column(LargeBinary)  # serialized bamboo.v1.WorkItem


class OutboxRow(Base):
    """A message committed with its step and not yet acknowledged by JetStream."""

    __tablename__ = "outbox"
    __table_args__ = _SQLITE_NEVER_REUSE
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String)
    payload: Mapped[bytes] = mapped_column(LargeBinary)


class StoreMetaRow(Base):
    __tablename__ = "store_meta"
    key: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[str] = mapped_column(String)


class SchemaVersionRow(Base):
    """The highest migration applied (one row)."""

    __tablename__ = "schema_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


pipelines = cast(Table, PipelineRow.__table__)
node_roots = cast(Table, NodeRootRow.__table__)
states = cast(Table, StateRow.__table__)
processes = cast(Table, ProcessRow.__table__)
schedules = cast(Table, ScheduleRow.__table__)
execution_data = cast(Table, ExecutionDataRow.__table__)
node_inputs = cast(Table, NodeInputsRow.__table__)
context_values = cast(Table, ContextValueRow.__table__)
histories = cast(Table, HistoryRow.__table__)
timers = cast(Table, TimerRow.__table__)
outbox = cast(Table, OutboxRow.__table__)
store_meta = cast(Table, StoreMetaRow.__table__)
schema_version = cast(Table, SchemaVersionRow.__table__)

# The tables a store's data lives in (schema_version / store_meta describe the store itself).
DATA_TABLES = (pipelines, node_roots, states, processes, schedules, execution_data, node_inputs,
               context_values, histories, timers, outbox)
