"""Bamboo's executor service: consumes ``execute`` work from JetStream and runs engine-core steps.

The consumer loop (``worker``) and process shell (``service``) are shared with the
scheduler, which imports them from here.
"""

from __future__ import annotations
