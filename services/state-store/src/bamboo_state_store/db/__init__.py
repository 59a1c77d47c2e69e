"""The state-store's database layer: schema, migrations, engine, and the per-dialect hot paths."""

from __future__ import annotations
