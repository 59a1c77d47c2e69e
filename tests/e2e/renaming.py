"""A runtime that gives each test's pipelines unique root ids on a shared cluster.

Scenarios use fixed root ids ("P"). Executors, schedulers and the gateway cache a
pipeline's model by root id for their whole life (models never change), so a second
test starting another "P" on the same cluster would run the first test's model. This
proxy renames each root id it sees in a tree handed to ``run_pipeline`` /
``start_pipeline`` to ``<id>~<suffix>`` and translates every argument and result
(strings equal to an id, dict keys included), so the scenario code sees "P" throughout.
Node ids inside trees need no renaming: each test gets a fresh store anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bamboo_sdk import Client

RUNS = ("run_pipeline", "start_pipeline", "preview_node_inputs")


class RootRenamingClient:
    """Every ``Client`` method, with root ids renamed on the way in and back on the way out."""

    def __init__(self, client: Client, suffix: str) -> None:
        self._client = client
        self._suffix = suffix
        self._out: dict[str, str] = {}  # scenario id -> cluster id
        self.scenario_ids: dict[str, str] = {}  # cluster id -> scenario id

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        if not callable(method):
            return method

        def call(*args: Any, **kwargs: Any) -> Any:
            if name in RUNS and args and isinstance(args[0], Mapping) and "id" in args[0]:
                self._rename(str(args[0]["id"]))
            result = method(*_map(args, self._out), **_map(kwargs, self._out))
            return _map(result, self.scenario_ids)

        return call

    def _rename(self, root_id: str) -> None:
        if root_id not in self._out:
            self._out[root_id] = f"{root_id}~{self._suffix}"
            self.scenario_ids[self._out[root_id]] = root_id


def _map(value: Any, names: Mapping[str, str]) -> Any:
    """``value`` with every string (and dict key) found in ``names`` replaced, containers rebuilt."""
    if not names:
        return value
    convert: Callable[[Any], Any] = lambda item: _map(item, names)  # noqa: E731
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, Mapping):
        return {convert(key): convert(item) for key, item in value.items()}
    if isinstance(value, list):
        return [convert(item) for item in value]
    if isinstance(value, tuple):
        return tuple(convert(item) for item in value)
    return value
