"""Bamboo's state-store: the only writer of durable state (see DESIGN.md)."""
