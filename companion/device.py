"""Pick the device a model runs on: CUDA, then Apple's MPS, then the CPU.

The environment variable ``COMPANION_DEVICE`` overrides the choice, so the same notebook
runs unchanged on a laptop, a GPU server, or a CPU-only CI machine.
"""

from __future__ import annotations

import os

import torch

ENV_VAR = "COMPANION_DEVICE"
_KINDS = ("cpu", "cuda", "mps")


def _available(kind: str) -> bool:
    if kind == "cpu":
        return True
    if kind == "cuda":
        return torch.cuda.is_available()
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def get_device(preferred: str | torch.device | None = None) -> torch.device:
    """Return the device to compute on.

    Order of precedence: the ``preferred`` argument, then ``$COMPANION_DEVICE``, then the
    best available of ``cuda`` > ``mps`` > ``cpu``. An index is allowed (``"cuda:1"``).

    Raises:
        ValueError: the requested device is not a known kind (names where it came from).
        RuntimeError: the requested device is known but not available on this machine.
    """
    source = "argument 'preferred'"
    request = preferred
    if request is None:
        request = os.environ.get(ENV_VAR) or None
        source = f"environment variable {ENV_VAR}"
    if request is None:
        for kind in ("cuda", "mps"):
            if _available(kind):
                return torch.device(kind)
        return torch.device("cpu")

    text = str(request).strip().lower()
    kind = text.split(":", 1)[0]
    if kind not in _KINDS:
        raise ValueError(
            f"{source}: expected one of {', '.join(_KINDS)} (optionally with an index, "
            f"e.g. 'cuda:0'), got {str(request)!r}"
        )
    try:
        device = torch.device(text)
    except RuntimeError as err:
        raise ValueError(f"{source}: {str(request)!r} is not a valid device ({err})") from err
    if not _available(kind):
        raise RuntimeError(
            f"{source} asks for {str(request)!r}, but {kind} is not available on this machine"
        )
    return device


def describe_device(device: torch.device | None = None) -> str:
    """One line naming the device, e.g. ``'cuda:0 (NVIDIA H100)'`` or ``'cpu (2 threads)'``."""
    device = get_device() if device is None else torch.device(device)
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    if device.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)"
    return str(device)
