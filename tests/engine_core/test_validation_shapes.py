"""Graph shapes from bamboo-engine's validator test cases, restated in this suite's notation.

The shapes (not the code) come from bamboo-engine's ``tests/validator/cases.py``; the
expected verdicts are bamboo's, except where the docs of ``bamboo_core.validation``
record a deliberate difference.
"""

from __future__ import annotations

import pytest
from test_validation_trees import make_tree

from bamboo_core.errors import ConvergeMatchError, InvalidTreeError, StreamValidateError
from bamboo_core.validation import validate_and_process_pipeline
from bamboo_core.validation.analysis import analyse
from bamboo_core.validation.schema import parse_tree

BIG = """start>a1>PG1; PG1>PG2; PG1>a5; PG1>a6;
PG2>a2>CG1; PG2>a3>CG1; PG2>a4>CG1; CG1>a7>EG1; EG1>PG2; EG1>CG3;
a5>EG7; EG7>CG3; EG7>a8>EG8; EG8>a8; EG8>a11>CG3;
a6>EG2; EG2>a9>CG2; EG2>a10>CG2; EG2>a6; CG2>a12>EG6; EG6>a6; EG6>CG3; EG6>CG2;
CG3>a13>EG3; EG3>end; EG3>a14; EG3>CPG3; EG3>a1; a14>EG4; EG4>a13; EG4>CG4;
CPG3>a15>a18>CG4; CPG3>a16>CG4; CPG3>a17>EG5; EG5>a19>CG4; EG5>a20>CG4; CG4>end"""

BIG_STREAMS = [
    {"start", "a1", "PG1", "CG3", "a13", "EG3", "a14", "EG4", "CPG3", "CG4", "end"},
    {"PG2", "CG1", "a7", "EG1"},
    {"a2"},
    {"a3"},
    {"a4"},
    {"a5", "EG7", "a8", "EG8", "a11"},
    {"a6", "EG2", "a9", "a10", "CG2", "a12", "EG6"},
    {"a15", "a18"},
    {"a16"},
    {"a17", "EG5", "a19", "a20"},
]


def _spec(text: str) -> str:
    return text.replace("\n", " ")


def test_big_valid_case_streams_and_matches() -> None:
    tree = make_tree(_spec(BIG))
    analysis = analyse(parse_tree(tree), cycle_tolerate=True, end_event_types=None)
    groups: dict[int, set[str]] = {}
    for node_id, stream in analysis.streams.label.items():
        groups.setdefault(stream, set()).add(node_id)
    assert sorted(groups.values(), key=sorted) == sorted(BIG_STREAMS, key=sorted)
    validate_and_process_pipeline(tree, cycle_tolerate=True)
    converge = {g: v["converge_gateway_id"] for g, v in tree["gateways"].items() if "converge_gateway_id" in v}
    assert converge == {
        "PG1": "CG3", "PG2": "CG1", "CPG3": "CG4",
        "EG1": "CG3", "EG2": "CG2", "EG3": "CG4", "EG4": "CG4", "EG5": "CG4", "EG6": "CG3",
        "EG7": "CG3", "EG8": "CG3",
    }  # the matches bamboo-engine's own test expects


VALID = [
    "start>a1>a2>EG; EG>a1; EG>a2; EG>a3; a3>end",
    "start>PG; PG>a1>CG; PG>a2>CG; PG>CG; CG>end",
    "start>EG1; EG1>PG1; EG1>end; PG1>EG2; PG1>EG3; EG2>EG2; EG2>CG; EG3>EG4; EG3>EG4; EG4>EG4; EG4>CG; CG>end",
    "start>PG; PG>CG; PG>EG; EG>EG; EG>CG; CG>end",
    "start>EG; EG>CG; EG>CG; EG>end; CG>EG",
    # gateway-only shapes
    """start>PG4; PG4>CG5; PG4>CG5; PG4>CG5; CG5>CPG1; CPG1>PG2; CPG1>EG7; CPG1>EG2;
    PG2>CG1; PG2>CG1; PG2>CG1; CG1>EG1; EG1>PG2; EG1>CG3; EG7>CG3; EG7>EG8; EG8>EG7; EG8>CG3;
    EG2>EG2; EG2>CG2; EG2>CG2; CG2>EG6; EG6>CG2; EG6>CG3; CG3>EG3; EG3>PG4; EG3>end; EG3>EG4;
    EG3>CPG3; EG3>CPG1; EG4>EG3; EG4>CG4; CPG3>CG4; CPG3>CG4; CPG3>EG5; EG5>CG4; EG5>CG4; CG4>end""",
    "start>EG1; EG1>EG1; EG1>EG1; EG1>end",
    "start>PG1; PG1>CG1; PG1>EG1; EG1>EG1; EG1>CG1; CG1>end",
    "start>PG1; PG1>PG2; PG1>CG2; PG2>EG1; PG2>CG1; EG1>CG1; EG1>CG1; CG1>CG2; CG2>end",
]


@pytest.mark.parametrize("spec", VALID)
def test_bamboo_valid_shapes(spec: str) -> None:
    validate_and_process_pipeline(make_tree(_spec(spec)), cycle_tolerate=True)


INVALID: list[tuple[str, type[InvalidTreeError], str]] = [
    ("start>a1>PG; PG>a2>CG; PG>a3>CG; PG>EG; EG>a3; EG>a4>CG; CG>end", StreamValidateError, "a3"),
    ("start>a1>EG; EG>a3; EG>a2>PG; PG>a3>CG; PG>a4>CG; CG>end", StreamValidateError, "a3"),
    ("start>PG1; PG1>CG1; PG1>CG1; PG1>CPG1; CPG1>CG1; CPG1>end; CG1>end", ConvergeMatchError, "CPG1"),
    # bamboo names the shared converge gateway; Bamboo the inner gateway whose branches escape
    ("start>CPG1; CPG1>CG1; CPG1>CG1; CPG1>PG2; PG2>CG1; PG2>CG1; CG1>end", ConvergeMatchError, "PG2"),
    ("start>CPG1; CPG1>CG1; CPG1>CG1; CPG1>EG1; EG1>CPG1; EG1>CG1; CG1>end", StreamValidateError, "EG1"),
    ("start>PG1; PG1>end; PG1>end; PG1>end", ConvergeMatchError, "PG1"),
    ("start>CPG1; CPG1>CG1; CPG1>CG1; CPG1>CG2; CPG1>CG2; CG1>end; CG2>end", ConvergeMatchError, "CPG1"),
    ("start>EG1; EG1>CG1; EG1>CG1; EG1>CG2; EG1>CG2; CG1>end; CG2>end", ConvergeMatchError, "EG1"),
    ("start>PG1; PG1>CG2; PG1>CG2; PG1>PG2; PG2>CG1; PG2>CG1; PG2>PG1; CG1>CG2; CG2>end", ConvergeMatchError, "PG2"),
    ("start>PG1; PG1>CG1; PG1>CG1; PG1>PG1; CG1>end", ConvergeMatchError, "PG1"),
]


@pytest.mark.parametrize(("spec", "error", "culprit"), INVALID)
def test_bamboo_invalid_shapes(spec: str, error: type[InvalidTreeError], culprit: str) -> None:
    with pytest.raises(error) as caught:
        validate_and_process_pipeline(make_tree(spec), cycle_tolerate=True)
    assert culprit in caught.value.node_ids
