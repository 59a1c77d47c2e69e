"""The ``bamboo`` command line: ``bamboo up`` (a local cluster), ``bamboo run``, queries and control operations.

``LocalCluster`` (``bamboo_sdk.cli.cluster``) is the process management behind ``bamboo up``,
usable on its own as a context manager.
"""

from __future__ import annotations

from bamboo_sdk.cli.cluster import ClusterError, LocalCluster

__all__ = ["ClusterError", "LocalCluster"]
