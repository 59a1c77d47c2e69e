"""The wiring every builder element shares: ids, names and outgoing edges.

Elements are deliberately mutable, plain objects (not frozen dataclasses): the
bamboo-engine builder API this mirrors is imperative (``a.extend(b)``), and user
code may set attributes such as ``act.component.version`` after construction.
"""

from __future__ import annotations

from collections.abc import Iterable

from bamboo_core.builder.ids import ELEMENT_PREFIX, unique_id

__all__ = ["Element"]


class Element:
    """A node of the flow being built; edges are the ordered ``outgoing`` list."""

    def __init__(
        self,
        id: str | None = None,
        name: str | None = None,
        outgoing: Iterable[Element] | None = None,
    ) -> None:
        self.id: str = id or unique_id(ELEMENT_PREFIX)
        self.name: str | None = name
        self.outgoing: list[Element] = list(outgoing or [])

    def extend(self, element: Element) -> Element:
        """Add the edge ``self → element`` and return ``element`` so chains read left to right."""
        self.outgoing.append(element)
        return element

    def connect(self, *elements: Element) -> Element:
        """Add an edge to each of ``elements`` in order and return ``self`` (for fan-out)."""
        self.outgoing.extend(elements)
        return self

    def converge(self, element: Element) -> Element:
        """Join the tail of every branch leaving ``self`` to ``element``; return ``element``."""
        for branch in self.outgoing:
            branch.tail().connect(element)
        return element

    def to(self, element: Element) -> Element:
        """Return ``element``: lets a chain continue from another node without an edge."""
        return element

    def tail(self) -> Element:
        """The last element reached by following the first outgoing edge until there is none.

        bamboo-engine loops forever when that path is a cycle; here the walk
        stops at the element whose first successor was already visited.
        """
        current: Element = self
        seen = {id(current)}
        while current.outgoing and id(current.outgoing[0]) not in seen:
            current = current.outgoing[0]
            seen.add(id(current))
        return current

    def type(self) -> str:
        """The node type name written to the tree (``"ServiceActivity"``, ...)."""
        raise NotImplementedError(f"{type(self).__name__} does not define a node type")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Element):
            return NotImplemented
        return self.id == other.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}:{self.id}>"
