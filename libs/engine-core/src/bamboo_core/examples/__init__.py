"""Example components and lazy variables, for the quick start, demos and tests.

Importing this package registers nothing; import the modules (or call
:func:`register_examples`, or list :data:`EXAMPLE_MODULES` in ``BAMBOO_COMPONENTS``)
to register them:

* ``components`` — ``example_component`` and the SPEC §8 test components
  (``debug``, ``fail_ctrl``, ``callback``, ``multi_callback``, ``timer``,
  ``sleep_exec``, ``loop_count``, ``loop_count_s``, ``fail_at_second``);
* ``hooks`` — hook-recording variants (``hook_debug``, ``hook_execute_raise``,
  ``hook_schedule_raise``, ``hook_callback``, ``hook_multi_callback``);
* ``variables`` — lazy variables ``upper_case`` and ``raise_variable``.
"""

from __future__ import annotations

import importlib

EXAMPLE_MODULES: tuple[str, ...] = (
    "bamboo_core.examples.components",
    "bamboo_core.examples.hooks",
    "bamboo_core.examples.variables",
)


def register_examples() -> None:
    """Import every example module, which registers its components and variables."""
    for module in EXAMPLE_MODULES:
        importlib.import_module(module)
