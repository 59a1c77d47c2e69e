"""Bamboo's scheduler service: consumes ``schedule`` work (polls, callbacks, fired timers).

It runs the executor's consumer loop on another subject; timers are fired by the
state-store's timer pump into the outbox, so no timer loop lives here.
"""

from __future__ import annotations
