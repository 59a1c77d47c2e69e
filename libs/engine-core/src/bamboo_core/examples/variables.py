"""Example lazy variables (SPEC §8): ``upper_case`` and ``raise_variable``."""

from __future__ import annotations

from typing import Any

from bamboo_core.variables import LazyVariable


class UpperCaseVariable(LazyVariable):
    """The rendered value, as a string, upper-cased."""

    code = "upper_case"
    name = "Upper case"

    def get_value(self) -> Any:
        return str(self.value).upper()


class RaiseVariable(LazyVariable):
    """Always raises: for tests of a variable that cannot be computed."""

    code = "raise_variable"
    name = "Raise"

    def get_value(self) -> Any:
        raise RuntimeError(f"raise_variable {self.name!r} fails on purpose")
