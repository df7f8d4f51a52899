"""companion.nn.graph: the nodes autograd records and the bytes it keeps for backward."""

import pytest
import torch

from companion.nn.graph import autograd_nodes, saved_tensor_bytes


def test_every_node_is_listed_once():
    x = torch.randn(5, requires_grad=True)
    a = x.exp()
    nodes = autograd_nodes((a + a).sum())  # a's node feeds the sum twice
    names = sorted(type(node).__name__ for node in nodes)
    assert names == ["AccumulateGrad", "AddBackward0", "ExpBackward0", "SumBackward0"]


def test_a_loop_records_nodes_in_proportion_to_its_length():
    x = torch.randn(3, requires_grad=True)

    def loop(T):
        h = x
        for _ in range(T):
            h = torch.tanh(h * 2)
        return h

    counts = [len(autograd_nodes(loop(T))) for T in (1, 2, 5)]
    assert counts == [3, 5, 11]  # AccumulateGrad, then a product and a tanh per step


def test_no_graph_is_refused():
    with pytest.raises(ValueError, match="output: expected a tensor computed with autograd"):
        autograd_nodes(torch.randn(3, requires_grad=True))
    with torch.no_grad():
        y = torch.randn(3, requires_grad=True) * 2
    with pytest.raises(ValueError, match="grad_fn"):
        autograd_nodes(y)
    with pytest.raises(TypeError, match="output: expected a torch.Tensor, got list"):
        autograd_nodes([1.0])


def test_saved_bytes_count_each_storage_once():
    x = torch.randn(1000, requires_grad=True)  # 4,000 bytes
    assert saved_tensor_bytes(lambda: x + 1) == 0  # an addition keeps nothing
    assert saved_tensor_bytes(lambda: x.exp()) == 4000  # exp keeps its result
    assert saved_tensor_bytes(lambda: x * x) == 4000  # x, kept twice, counted once
    assert saved_tensor_bytes(lambda: x[:10] * x[10:20]) == 4000  # views of one storage
    assert saved_tensor_bytes(lambda: x.exp().exp()) == 8000
