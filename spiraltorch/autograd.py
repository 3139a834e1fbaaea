"""Reverse-mode autograd: graph nodes, grad mode, and the backward pass.

Each op records its own backward rule right beside its forward (see ``ops/``) with ``record``;
the rule takes the incoming gradient and returns one gradient per input, written with Tensor
ops so that it runs on every device.
"""
from __future__ import annotations

import functools
import threading

_state = threading.local()


def is_grad_enabled() -> bool:
    return getattr(_state, "enabled", True)


def _set_enabled(mode: bool) -> None:
    _state.enabled = bool(mode)


class _GradMode:
    """Context manager and decorator that sets grad mode for the current thread."""

    mode = True

    def __enter__(self):
        self._prev = is_grad_enabled()
        _set_enabled(self.mode)
        return self

    def __exit__(self, *exc):
        _set_enabled(self._prev)
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = is_grad_enabled()
            _set_enabled(mode)
            try:
                return fn(*args, **kwargs)
            finally:
                _set_enabled(prev)

        return wrapper


class _BareDecorator(_GradMode):
    """Usable as ``@no_grad``, ``@no_grad()`` and ``with no_grad():``, like torch."""

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        return self(fn) if callable(fn) else self

    def __init__(self, fn=None):
        pass


class no_grad(_BareDecorator):
    mode = False


class enable_grad(_BareDecorator):
    mode = True


class set_grad_enabled(_GradMode):
    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._prev = is_grad_enabled()
        _set_enabled(self.mode)

    def __enter__(self):
        return self


class Node:
    """One recorded op: its inputs, the nodes they came from, and its backward rule.

    ``parents`` are the inputs' nodes when the op ran: an in-place op that later gives an input
    a new node does not change this op's history. A leaf input has parent None."""

    __slots__ = ("inputs", "parents", "needs", "rule", "versions", "name", "retained")

    def __init__(self, inputs, rule, name, saved):
        self.inputs = inputs
        self.parents = tuple(t._node if t is not None else None for t in inputs)
        self.needs = tuple(t is not None and t.requires_grad for t in inputs)
        self.rule = rule
        self.name = name
        self.retained = None  # the output tensor, once it asked to retain its grad
        # Only a rule that reads its inputs' values needs them unmodified at backward time.
        self.versions = tuple(t._ver[0] if t is not None else 0 for t in inputs) if saved else None

    def __repr__(self):
        return f"<{self.name}Backward>"


def record(out, inputs, rule, name="Op", saved=True):
    """Attach a backward ``rule(grad) -> tuple of grads`` to ``out`` if any input needs grad.

    ``saved=False`` says the rule never reads the inputs' values (only their shapes)."""
    if is_grad_enabled() and any(t is not None and t.requires_grad for t in inputs):
        out._node = Node(tuple(inputs), rule, name, saved)
        out.requires_grad = True
    return out


def _topological(root: Node) -> list:
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p in node.parents if p is not None)
    order.reverse()
    return order


def _check_versions(node: Node) -> None:
    for inp, v in zip(node.inputs, node.versions or ()):
        if inp is not None and inp._ver[0] != v:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: {node!r} input of shape {list(inp.shape)} is at version "
                f"{inp._ver[0]}; expected version {v} instead.")


def backward(root, gradient=None):
    from .ops import shape as shape_ops

    if not root.requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    if gradient is None:
        if root.numel() != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs; got a tensor of shape "
                f"{list(root.shape)} with {root.numel()} elements: pass gradient=")
        from .ops import creation
        gradient = creation.ones_like(root)
    elif tuple(gradient.shape) != tuple(root.shape):
        raise RuntimeError(
            f"Mismatch in shape: grad_output[0] has a shape of {list(gradient.shape)} and output[0] "
            f"has a shape of {list(root.shape)}.")
    with no_grad():
        if root._node is None:
            _accumulate(root, gradient.detach())
            return
        grads = {id(root._node): gradient.detach()}
        for node in _topological(root._node):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            if node.retained is not None:
                _accumulate(node.retained, g)
            _check_versions(node)
            for inp, parent, needs, gi in zip(node.inputs, node.parents, node.needs, node.rule(g)):
                if not needs or gi is None:
                    continue
                gi = shape_ops.sum_to(gi, inp.shape)
                if gi.dtype is not inp.dtype:
                    gi = gi.to(inp.dtype)
                if parent is None:
                    _accumulate(inp, gi)
                else:
                    prev = grads.get(id(parent))
                    grads[id(parent)] = gi if prev is None else prev + gi


def _accumulate(leaf, g):
    leaf.grad = g.clone() if leaf.grad is None else leaf.grad + g
