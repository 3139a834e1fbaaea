"""matmul / @ (batched, broadcasting, 1-D cases), mm and bmm, compared with torch."""
import numpy as np
import pytest
import torch
from conftest import check, make, need_dtypes, pair, same_as_torch

import spiraltorch as st

MATMUL_SHAPES = [
    ((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 5)), ((3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)),
    ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)), ((4,), (2, 4, 5)), ((2, 3, 4), (4,)),
    ((2, 1, 3, 4), (5, 4, 2)), ((1, 3, 4), (6, 4, 1)), ((3, 0), (0, 5)), ((0, 4), (4, 5)),
    ((2, 0, 4), (4, 3)), ((1, 1), (1, 1)), ((0,), (0,)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_shapes(device, rng, shapes):
    (sa, ta), (sb, tb) = pair(make(rng, shapes[0]), device), pair(make(rng, shapes[1]), device)
    check(st.matmul(sa, sb), torch.matmul(ta, tb), device=device)
    check(sa @ sb, ta @ tb)
    check(sa.matmul(sb), ta.matmul(tb))


@pytest.mark.parametrize("dtype", ["float64", "float16", "int64", "int32", "uint8"])
def test_matmul_dtypes(device, rng, dtype):
    need_dtypes(device, dtype)
    (sa, ta), (sb, tb) = pair(make(rng, (3, 5), dtype), device), pair(make(rng, (5, 2), dtype), device)
    same_as_torch(lambda m: (sa if m is st else ta) @ (sb if m is st else tb), rtol=1e-2, atol=1e-2)


def test_matmul_non_contiguous_operands(device, rng):
    (sa, ta), (sb, tb) = pair(make(rng, (6, 8)), device), pair(make(rng, (8, 6)), device)
    check(sa.T @ sb.T, ta.T @ tb.T)
    check(sa[::2, 1::2] @ sb[::2, ::2], ta[::2, 1::2] @ tb[::2, ::2])
    check(sa[:, :1].expand(6, 8) @ sb, ta[:, :1].expand(6, 8) @ tb)
    s3, t3 = pair(make(rng, (4, 3, 5)), device)
    check(s3.transpose(0, 2) @ s3.permute(2, 0, 1), t3.transpose(0, 2) @ t3.permute(2, 0, 1))


def test_matmul_vector_vector_gives_0d(device, rng):
    (sa, ta), (sb, tb) = pair(make(rng, (7,)), device), pair(make(rng, (7,)), device)
    out = sa @ sb
    assert out.ndim == 0
    check(out, ta @ tb)


def test_mm(device, rng):
    (sa, ta), (sb, tb) = pair(make(rng, (3, 4)), device), pair(make(rng, (4, 6)), device)
    check(st.mm(sa, sb), torch.mm(ta, tb))
    check(sa.mm(sb), ta.mm(tb))
    check(st.mm(sb.T, sa.T), torch.mm(tb.T, ta.T))


def test_bmm(device, rng):
    (sa, ta), (sb, tb) = pair(make(rng, (5, 3, 4)), device), pair(make(rng, (5, 4, 2)), device)
    check(st.bmm(sa, sb), torch.bmm(ta, tb))
    check(sa.bmm(sb), ta.bmm(tb))
    check(st.bmm(sa.mT, sa), torch.bmm(ta.mT, ta))


@pytest.mark.parametrize("bad", [((3,), (3, 4)), ((2, 3, 4), (2, 4, 5, 1)), ((3, 4), (4, 5))], ids=str)
def test_mm_bmm_reject_wrong_ranks(device, bad):
    sa, sb = st.ones(bad[0], device=device), st.ones(bad[1], device=device)
    ta, tb = torch.ones(bad[0]), torch.ones(bad[1])
    for name in ("mm", "bmm"):
        same_as_torch(lambda m: getattr(m, name)(sa if m is st else ta, sb if m is st else tb))


def test_matmul_values_are_exact_for_integers(device):
    a = np.arange(12, dtype=np.int64).reshape(3, 4) - 5
    (sa, ta) = pair(a, device)
    check(sa @ sa.T, ta @ ta.T)
