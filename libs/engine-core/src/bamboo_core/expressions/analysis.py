"""Static questions about a parsed template: which context names does it read?"""

from __future__ import annotations

from bamboo_core.expressions.nodes import Comprehension, Name, Node, TupleLit


def free_names(tree: Node) -> set[str]:
    """Names the expression looks up in the context.

    Comprehension variables are local and excluded.  Called functions are not
    names at all (``int(b)`` reads only ``b``); a bare name that happens to
    spell a builtin (``max``) *is* included, since it can only be a context key.
    """
    found: set[str] = set()
    _collect(tree, frozenset(), found)
    return found


def _collect(node: Node, bound: frozenset[str], found: set[str]) -> None:
    if isinstance(node, Name):
        if node.id not in bound:
            found.add(node.id)
    elif isinstance(node, Comprehension):
        _collect_comprehension(node, bound, found)
    else:
        for child in node.children():
            _collect(child, bound, found)


def _collect_comprehension(node: Comprehension, bound: frozenset[str], found: set[str]) -> None:
    inner = bound
    for clause in node.generators:
        # The first iterable is read in the enclosing scope; later ones see earlier targets.
        _collect(clause.iter, inner, found)
        inner = inner | target_names(clause.target)
        for condition in clause.ifs:
            _collect(condition, inner, found)
    _collect(node.elt, inner, found)
    if node.value is not None:
        _collect(node.value, inner, found)


def target_names(target: Node) -> frozenset[str]:
    """Names bound by a comprehension target."""
    if isinstance(target, Name):
        return frozenset({target.id})
    if isinstance(target, TupleLit):
        names: frozenset[str] = frozenset()
        for item in target.items:
            names |= target_names(item)
        return names
    return frozenset()
