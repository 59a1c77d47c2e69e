"""Bamboo's api-gateway: the public ``bamboo.v1.Workflow`` service.

Stateless: every call runs engine-core over a ``RemoteStore`` (the state-store's
gRPC API), so any number of gateways can serve one cluster.
"""

from __future__ import annotations
