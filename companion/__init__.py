"""Companion package of the course "Recurrent Neural Networks, from scratch to GPU".

The NumPy chapters use :mod:`companion.scratch`; the PyTorch chapters use
:mod:`companion.nn`, :mod:`companion.train` and :mod:`companion.data`.
Importing ``companion`` itself does not import torch; it imports matplotlib (not pyplot) to
make the course's colour-blind-safe colours the default colour cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from companion.seeding import seed_everything
from companion.style import use_course_style

if TYPE_CHECKING:  # at run time, __getattr__ imports them (and torch) on first use
    from companion.device import describe_device, get_device

use_course_style()  # the course's colour-blind-safe colours for every figure a page draws

__all__ = ["seed_everything", "get_device", "describe_device"]
__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # torch is imported only when a device is asked for, so `companion.scratch` stays NumPy-only.
    if name in ("get_device", "describe_device"):
        from companion import device

        return getattr(device, name)
    raise AttributeError(f"module 'companion' has no attribute {name!r}")
