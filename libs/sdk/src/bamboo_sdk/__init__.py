"""Bamboo's SDK: drive a Bamboo cluster from Python.

``Client(target)`` speaks the gateway's ``bamboo.v1.Workflow`` service and is also a
runtime for ``bamboo_core.api``, so embedded code moves to a cluster by changing
only its runtime::

    from bamboo_core import api
    from bamboo_sdk import Client
    from bamboo_sdk.builder import *

    client = Client("127.0.0.1:50051")
    result = api.run_pipeline(runtime=client, pipeline=pipeline)
    client.wait(pipeline["id"], timeout=60)
"""

from __future__ import annotations

from bamboo_sdk.client import Client, WatchEvent
from bamboo_sdk.errors import UnavailableError

__all__ = ["Client", "UnavailableError", "WatchEvent"]
