"""Node and pipeline states, and the transitions between them, as data."""

from __future__ import annotations

from enum import Enum


class State(str, Enum):
    CREATED = "CREATED"
    READY = "READY"
    LOOP_READY = "LOOP_READY"
    RUNNING = "RUNNING"
    SUSPENDED = "SUSPENDED"
    BLOCKED = "BLOCKED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    REVOKED = "REVOKED"
    ROLLING_BACK = "ROLLING_BACK"
    ROLL_BACK_SUCCESS = "ROLL_BACK_SUCCESS"
    ROLL_BACK_FAILED = "ROLL_BACK_FAILED"


ARCHIVED_STATES = frozenset({State.FINISHED, State.FAILED, State.REVOKED})
SLEEP_STATES = frozenset({State.SUSPENDED, State.REVOKED})
# States from which the push loop may (re-)enter a node.
ENTERABLE_STATES = frozenset({State.READY, State.FINISHED, State.LOOP_READY})

TRANSITIONS: dict[State, frozenset[State]] = {
    State.READY: frozenset({State.RUNNING, State.SUSPENDED}),
    State.LOOP_READY: frozenset({State.RUNNING, State.SUSPENDED}),
    State.RUNNING: frozenset(
        {State.FINISHED, State.FAILED, State.REVOKED, State.SUSPENDED, State.ROLLING_BACK}
    ),
    State.SUSPENDED: frozenset({State.READY, State.REVOKED, State.RUNNING, State.ROLLING_BACK}),
    State.BLOCKED: frozenset(),
    State.FINISHED: frozenset({State.RUNNING, State.FAILED, State.ROLLING_BACK}),
    State.FAILED: frozenset({State.READY, State.FINISHED, State.LOOP_READY}),
    State.REVOKED: frozenset(),
    State.ROLLING_BACK: frozenset({State.ROLL_BACK_SUCCESS, State.ROLL_BACK_FAILED}),
    State.ROLL_BACK_SUCCESS: frozenset({State.READY, State.FINISHED}),
    State.ROLL_BACK_FAILED: frozenset({State.READY, State.FINISHED, State.ROLLING_BACK}),
    State.CREATED: frozenset(),
}


def can_transit(from_state: State | None, to_state: State) -> bool:
    """A missing state may become anything; an existing one follows the table."""
    if from_state is None:
        return True
    return to_state in TRANSITIONS[from_state]
