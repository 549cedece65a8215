"""Kept only for cxgov/cli.py's `_rendering` until it calls cxgov.speed.existing_frozen: the collector devices
live in cxgov.speed. Nothing else may import this module (tests/test_speed.py checks)."""

from __future__ import annotations

from cxgov.speed import existing_frozen

__all__ = ["existing_frozen"]
