"""The heuristics drive st.topk: SPIRAL_HEUR_K changes the Choice the CPU kernel gets, never the result."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as hs

import spiraltorch as st
from spiraltorch import backends, heuristics
from topk_reference import reference_topk


pytestmark = pytest.mark.usefixtures("clean_heuristics")


@pytest.fixture
def seen_choices(monkeypatch):
    """The Choices the CPU backend's topk receives."""
    backend = backends.get("cpu")
    seen = []
    kernel = backend.topk

    def spy(x, k, largest, sorted, choice):
        seen.append(choice)
        return kernel(x, k, largest, sorted, choice)

    monkeypatch.setattr(backend, "topk", spy)
    return seen


def test_env_program_reaches_the_cpu_kernel(monkeypatch, seen_choices):
    x = st.randn(3, 5000)
    st.topk(x, 4)
    assert seen_choices[-1] == heuristics.choose("topk", 3, 5000, 4)
    monkeypatch.setenv("SPIRAL_HEUR_K", "u2: 1; ch: 1024; alg: 1")
    st.topk(x, 4)
    assert (seen_choices[-1].u2, seen_choices[-1].ch, seen_choices[-1].cr) == (1, 1024, 5)
    assert seen_choices[-1].get("alg") == 1


def _data(rng, rows, cols):
    a = rng.integers(-4, 5, size=(rows, cols)).astype(np.float32)  # many ties
    flat = a.reshape(-1)
    picks = rng.integers(0, flat.size, size=max(1, flat.size // 7))
    flat[picks] = rng.choice(np.array([np.nan, np.inf, -np.inf, -0.0], np.float32), size=picks.size)
    return a


@pytest.mark.parametrize("rows,cols,k", [(3, 3000, 1), (2, 5000, 70), (5, 1300, 1300), (4, 700, 0)])
def test_every_choice_gives_the_reference_result(monkeypatch, rng, rows, cols, k, seen_choices):
    a = _data(rng, rows, cols)
    want_v, want_i = reference_topk(a, k)
    x = st.from_numpy(a)[:, ::1]
    programs = ["", "u2: 1; ch: 256; alg: 0", "u2: 1; ch: 512; alg: 1", "u2: 0; alg: 1",
                f"u2: 1; ch: {int(rng.integers(1, 20)) * 256}; alg: {int(rng.integers(0, 2))}"]
    for program in programs:
        monkeypatch.setenv("SPIRAL_HEUR_K", program)
        values, indices = st.topk(x, k)
        np.testing.assert_array_equal(indices.numpy(), want_i, err_msg=program)
        np.testing.assert_array_equal(values.numpy(), want_v, err_msg=program)
    assert len(set(seen_choices)) >= 3


_ANY_VALUE = hs.one_of(hs.integers(-5, 70000), hs.floats(-10, 1e6, allow_nan=False))


@given(u2=_ANY_VALUE, ch=_ANY_VALUE, alg=_ANY_VALUE, kl=_ANY_VALUE, cr=_ANY_VALUE,
       shape=hs.sampled_from([(1, 1), (2, 257), (3, 1000), (1, 4100), (6, 300)]),
       k_frac=hs.floats(0, 1), largest=hs.booleans(), seed=hs.integers(0, 2**32 - 1))
def test_any_program_values_give_the_reference_result(u2, ch, alg, kl, cr, shape, k_frac, largest,
                                                      seed):
    rows, cols = shape
    k = int(k_frac * cols)
    a = _data(np.random.default_rng(seed), rows, cols)
    want_v, want_i = reference_topk(a, k, largest)
    program = f"u2: {u2!r}; ch: {ch!r}; alg: {alg!r}; kl: {kl!r}; cr: {cr!r}"
    with heuristics.program(program):
        values, indices = st.topk(st.from_numpy(a), k, largest=largest)
    np.testing.assert_array_equal(indices.numpy(), want_i, err_msg=program)
    np.testing.assert_array_equal(values.numpy(), want_v, err_msg=program)
