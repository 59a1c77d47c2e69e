"""Interval generators: how long a POLL service waits between two schedules.

The engine asks ``Service.schedule_after(times)``, which sets a fresh generator's
``count`` to ``times - 1`` and calls ``next()`` (which first increments ``count``),
so the delay depends only on how many schedules have already run — never on
generator state kept between steps.

Differences from bamboo-engine: there, ``NullIntervalGenerator`` and
``LinearIntervalGenerator`` return ``None`` from ``next()`` (an accident: the
subclasses never override it). Here Null returns ``0`` (poll again at once, which
is what "no delay" meant) and Linear returns ``count`` (1, 2, 3 …), as its name says.
"""

from __future__ import annotations


class AbstractIntervalGenerator:
    """Base class: ``next()`` advances ``count``; subclasses return seconds.

    Custom generators subclass this, call ``super().next()`` and return a delay
    computed from ``self.count``.
    """

    def __init__(self) -> None:
        self.count = 0

    def next(self) -> float | None:
        self.count += 1
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(count={self.count})"


class DefaultIntervalGenerator(AbstractIntervalGenerator):
    """``count ** 2`` seconds: 1, 4, 9, …"""

    def next(self) -> float | None:
        super().next()
        return self.count**2


class SquareIntervalGenerator(DefaultIntervalGenerator):
    """Same as the default: 1, 4, 9, … seconds."""


class NullIntervalGenerator(AbstractIntervalGenerator):
    """No delay: always 0 seconds."""

    def next(self) -> float | None:
        super().next()
        return 0


class LinearIntervalGenerator(AbstractIntervalGenerator):
    """``count`` seconds: 1, 2, 3, …"""

    def next(self) -> float | None:
        super().next()
        return self.count


class StaticIntervalGenerator(AbstractIntervalGenerator):
    """The same ``interval`` seconds every time."""

    def __init__(self, interval: float) -> None:
        super().__init__()
        if interval < 0:
            raise ValueError(f"interval must be >= 0 seconds, got {interval!r}")
        self.interval = interval

    def next(self) -> float | None:
        super().next()
        return self.interval

    def __repr__(self) -> str:
        return f"StaticIntervalGenerator({self.interval!r})"
