"""Companion package of the course "Recurrent Neural Networks, from scratch to GPU".

The NumPy chapters use :mod:`companion.scratch`; the PyTorch chapters use
:mod:`companion.nn`, :mod:`companion.train` and :mod:`companion.data`.
Importing ``companion`` itself does not import torch.
"""

from __future__ import annotations

from companion.seeding import seed_everything

__all__ = ["seed_everything", "get_device", "describe_device"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # torch is imported only when a device is asked for, so `companion.scratch` stays NumPy-only.
    if name in ("get_device", "describe_device"):
        from companion import device

        return getattr(device, name)
    raise AttributeError(f"module 'companion' has no attribute {name!r}")
