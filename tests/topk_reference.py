"""The exact TopK / sort reference for tests (the definitions live in spiraltorch.reference)."""
from spiraltorch.reference import reference_sort, reference_topk, value_ranks

__all__ = ["reference_sort", "reference_topk", "value_ranks"]
