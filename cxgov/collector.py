"""The cyclic garbage collector around the phases that make many objects and no garbage cycles.

Loading a spec, evaluating it and rendering reports each create tens of thousands of small objects that live
until the command ends. The collector's passes over them find nothing to free and cost up to a third of such
a phase, so a phase either pauses it or freezes what exists before it (the collector then skips those).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def paused() -> Iterator[None]:
    """No collection during the block (it makes nothing cyclic that must be freed before it ends)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def existing_frozen() -> Iterator[None]:
    """Collections during the block leave alone every object that existed when it began."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
