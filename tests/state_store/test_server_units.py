"""The state-store service's pure parts: settings, the error table, the group committer."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import grpc
import pytest

from bamboo_core.errors import (
    AlreadyExistsError,
    ConnectionValidateError,
    InvalidOperationError,
    InvalidTransitionError,
    NotFoundError,
    StartPositionInvalidError,
    StateConflictError,
)
from bamboo_core.ports import Commit
from bamboo_state_store.config import ConfigError, Settings
from bamboo_state_store.errors import status_for
from bamboo_state_store.group_commit import GroupCommitter

# -- settings -------------------------------------------------------------------------


def test_defaults_without_environment() -> None:
    settings = Settings.from_env({})
    assert settings == Settings()
    assert settings.db_url == "sqlite:///./data/bamboo.db"
    assert (settings.host, settings.port, settings.nats_url) == ("127.0.0.1", 50061, "")
    assert settings.max_message_bytes == 16 * 1024 * 1024


def test_every_variable_is_read_with_its_prefix() -> None:
    settings = Settings.from_env({
        "STATE_STORE_DB_URL": "postgresql+psycopg2://postgres@127.0.0.1:5432/bamboo",
        "STATE_STORE_HOST": "0.0.0.0",
        "STATE_STORE_PORT": "0",
        "STATE_STORE_NATS_URL": "nats://127.0.0.1:4222",
        "STATE_STORE_WORKERS": "4",
        "STATE_STORE_GRACE_SECONDS": "0.5",
        "STATE_STORE_MAX_MESSAGE_MB": "2",
        "STATE_STORE_DB_WAIT_SECONDS": "0",
        "STATE_STORE_GROUP_COMMIT": "off",
        "PORT": "1234",  # unprefixed variables belong to someone else
    })  # fmt: skip
    assert settings == Settings(
        db_url="postgresql+psycopg2://postgres@127.0.0.1:5432/bamboo", host="0.0.0.0", port=0,
        nats_url="nats://127.0.0.1:4222", workers=4, grace_seconds=0.5, max_message_mb=2, db_wait_seconds=0.0,
        group_commit=False,
    )  # fmt: skip


def test_blank_values_keep_the_defaults() -> None:
    assert Settings.from_env({"STATE_STORE_PORT": "  ", "STATE_STORE_NATS_URL": ""}) == Settings()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("PORT", "http"),
        ("PORT", "65536"),
        ("PORT", "-1"),
        ("WORKERS", "0"),
        ("GRACE_SECONDS", "soon"),
        ("GRACE_SECONDS", "nan"),
        ("GRACE_SECONDS", "-1"),
        ("MAX_MESSAGE_MB", "0"),
        ("DB_WAIT_SECONDS", "forever"),
        ("DB_URL", "mysql://localhost/bamboo"),
        ("DB_URL", "not a url"),
        ("NATS_URL", "localhost:4222"),
        ("GROUP_COMMIT", "sometimes"),
    ],
)
def test_invalid_values_name_the_variable(key: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({f"STATE_STORE_{key}": value})
    assert caught.value.key == f"STATE_STORE_{key}"
    assert f"STATE_STORE_{key}" in str(caught.value)


# -- the status table -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (StateConflictError("state 'n1' is at 'v2', expected 'v1'"), grpc.StatusCode.ABORTED),
        (NotFoundError("pipeline 'p' does not exist"), grpc.StatusCode.NOT_FOUND),
        (AlreadyExistsError("ids already used: ['p']"), grpc.StatusCode.ALREADY_EXISTS),
        (ConnectionValidateError(["n1"], "no outgoing flow"), grpc.StatusCode.INVALID_ARGUMENT),
        (StartPositionInvalidError("not a start", "n1"), grpc.StatusCode.INVALID_ARGUMENT),
        (ValueError("Commit.states: NodeState.name: unknown value 99"), grpc.StatusCode.INVALID_ARGUMENT),
        (InvalidTransitionError("FINISHED -> RUNNING"), grpc.StatusCode.FAILED_PRECONDITION),
        (InvalidOperationError("node is not failed"), grpc.StatusCode.FAILED_PRECONDITION),
    ],
)
def test_domain_errors_keep_their_message(error: Exception, code: grpc.StatusCode) -> None:
    assert status_for(error) == (code, str(error))


def test_unexpected_errors_are_internal_without_their_details() -> None:
    code, message = status_for(KeyError("SELECT secret FROM internals"))
    assert code is grpc.StatusCode.INTERNAL
    assert "KeyError" in message and "secret" not in message


# -- group commit ---------------------------------------------------------------------


class RecordingApplier:
    """A ``commit_many`` that fails the commits whose root id says so, and records each batch."""

    def __init__(self, delay: float = 0.0) -> None:
        self.batches: list[list[str]] = []
        self.delay = delay
        self.lock = threading.Lock()

    def __call__(self, commits: Sequence[Commit]) -> list[BaseException | None]:
        time.sleep(self.delay)  # a transaction takes time: others queue meanwhile
        with self.lock:
            self.batches.append([commit.root_id for commit in commits])
        if any(commit.root_id == "boom" for commit in commits):
            raise RuntimeError("database went away")
        return [StateConflictError(c.root_id) if c.root_id.startswith("lose") else None for c in commits]


def test_a_lone_commit_is_applied_at_once_by_its_own_caller() -> None:
    applier = RecordingApplier()
    GroupCommitter(applier).commit(Commit(root_id="a"))
    with pytest.raises(StateConflictError, match="lose-1"):
        GroupCommitter(applier).commit(Commit(root_id="lose-1"))
    assert applier.batches == [["a"], ["lose-1"]]


def run_concurrently(committer: GroupCommitter, roots: Sequence[str]) -> dict[str, BaseException | None]:
    outcomes: dict[str, BaseException | None] = {}
    barrier = threading.Barrier(len(roots))

    def one(root_id: str) -> None:
        barrier.wait()
        try:
            committer.commit(Commit(root_id=root_id))
            outcomes[root_id] = None
        except Exception as exc:  # noqa: BLE001 - recorded for the assertions
            outcomes[root_id] = exc

    threads = [threading.Thread(target=one, args=(root_id,)) for root_id in roots]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads), "a caller was never woken"
    return outcomes


def test_concurrent_commits_share_transactions_and_get_their_own_outcome() -> None:
    applier = RecordingApplier(delay=0.02)
    roots = [f"ok-{i}" for i in range(12)] + [f"lose-{i}" for i in range(4)]
    outcomes = run_concurrently(GroupCommitter(applier), roots)
    assert sorted(sum(applier.batches, [])) == sorted(roots)  # each applied exactly once
    assert len(applier.batches) < len(roots)  # some shared a transaction
    assert all(outcomes[root] is None for root in roots if root.startswith("ok"))
    assert all(isinstance(outcomes[root], StateConflictError) for root in roots if root.startswith("lose"))


def test_a_failed_transaction_fails_only_its_own_batch() -> None:
    applier = RecordingApplier(delay=0.02)
    outcomes = run_concurrently(GroupCommitter(applier), ["boom", *(f"ok-{i}" for i in range(7))])
    failed = {root for root, outcome in outcomes.items() if isinstance(outcome, RuntimeError)}
    batch_with_boom = next(batch for batch in applier.batches if "boom" in batch)
    assert failed == set(batch_with_boom)
    assert all(outcomes[root] is None for root in outcomes if root not in failed)


def test_groups_are_bounded() -> None:
    applier = RecordingApplier(delay=0.01)
    run_concurrently(GroupCommitter(applier, max_group=3), [f"ok-{i}" for i in range(10)])
    assert max(len(batch) for batch in applier.batches) <= 3
    assert sum(len(batch) for batch in applier.batches) == 10


def test_a_wrong_number_of_outcomes_fails_the_batch_instead_of_hanging() -> None:
    committer = GroupCommitter(lambda commits: [])
    with pytest.raises(RuntimeError, match="0 outcomes for 1 commits"):
        committer.commit(Commit(root_id="a"))
