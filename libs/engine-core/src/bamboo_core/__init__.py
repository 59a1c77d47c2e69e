"""Bamboo's flow semantics: pure Python, no I/O.

Public entry points: ``bamboo_core.api`` (bamboo-engine's API), ``bamboo_core.builder``,
``bamboo_core.component`` and ``bamboo_core.runtime.InMemoryRuntime`` (embedded mode).
"""
