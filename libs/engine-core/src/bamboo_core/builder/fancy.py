"""A dict whose keys can also be read and written as attributes.

bamboo-engine users write ``act.component.inputs.key = Var(...)``; keeping that
spelling working is what makes the builder a drop-in replacement.
"""

from __future__ import annotations

from typing import Any


class FancyDict(dict[str, Any]):
    """``d.key`` reads ``d["key"]``; ``d.key = v`` writes it; ``del d.key`` deletes it."""

    def __getattr__(self, key: str) -> Any:
        # Only called when normal lookup fails, so dict methods keep precedence.
        try:
            return self[key]
        except KeyError as exc:
            # AttributeError (not KeyError) keeps hasattr(), copy and pickle working.
            raise AttributeError(key) from exc

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value

    def __delattr__(self, key: str) -> None:
        try:
            del self[key]
        except KeyError as exc:
            raise AttributeError(key) from exc
