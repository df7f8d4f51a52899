"""What autograd records: the nodes of a graph and the tensors they keep for backward.

The pages that compare a backward pass written by hand with autograd's, or PyTorch's fused
layers with a loop over time, count both with these two functions.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor


def autograd_nodes(output: Tensor) -> list[torch.autograd.graph.Node]:
    """Every node of the autograd graph that produced ``output``, each once.

    Raises ``ValueError`` if ``output`` was not computed from a tensor that requires grad.
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"output: expected a torch.Tensor, got {type(output).__name__}")
    if output.grad_fn is None:
        raise ValueError(
            "output: expected a tensor computed with autograd recording (grad_fn set), got "
            "one without a graph (a leaf, or computed under torch.no_grad())"
        )
    seen: dict[torch.autograd.graph.Node, None] = {}
    frontier: list[torch.autograd.graph.Node | None] = [output.grad_fn]
    while frontier:
        node = frontier.pop()
        if node is not None and node not in seen:
            seen[node] = None
            frontier.extend(parent for parent, _ in node.next_functions)
    return list(seen)


def saved_tensor_bytes(forward: Callable[[], object]) -> int:
    """Bytes of the tensors that autograd keeps for the backward pass while ``forward()``
    runs, each storage counted once however many nodes keep it."""
    kept: dict[tuple[int, int], int] = {}

    def pack(tensor: Tensor) -> Tensor:
        storage = tensor.untyped_storage()
        kept[(storage.data_ptr(), tensor.device.index or 0)] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        forward()
    return sum(kept.values())
