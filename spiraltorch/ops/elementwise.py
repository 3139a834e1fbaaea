"""Element-wise ops, each forward beside its backward rule, plus the in-place machinery."""
from __future__ import annotations

from .. import dtypes as dt
from ..autograd import is_grad_enabled, record
from ..tensor import Tensor
from .core import cast, check_dtype, operands, same_device, scalar_tensor, unsupported, wrap
from .shape import broadcast_shapes


def _unary(op, x: Tensor, out_dtype=None) -> Tensor:
    data = x._be.unary(op, x._data)
    out = wrap(data, x._be)
    return out if out_dtype is None or out.dtype is out_dtype else cast(out, out_dtype)


def _float_input(x: Tensor) -> Tensor:
    """Integer and bool inputs of float functions (exp, log, ...) are computed in float32."""
    return x if x.dtype.is_floating_point else cast(x, dt.default_float)


def _float_unary(op, rule):
    def fn(x: Tensor) -> Tensor:
        x = _float_input(x)
        out = _unary(op, x)
        return record(out, (x,), lambda g: (rule(g, x, out),), op.capitalize())
    fn.__name__ = op
    return fn


exp = _float_unary("exp", lambda g, x, y: g * y)
log = _float_unary("log", lambda g, x, y: g / x)
log1p = _float_unary("log1p", lambda g, x, y: g / (x + 1))
sqrt = _float_unary("sqrt", lambda g, x, y: g / (y * 2))
rsqrt = _float_unary("rsqrt", lambda g, x, y: g * y * y * y * -0.5)
sin = _float_unary("sin", lambda g, x, y: g * cos(x))
cos = _float_unary("cos", lambda g, x, y: -(g * sin(x)))
tanh = _float_unary("tanh", lambda g, x, y: g * (1 - y * y))
sigmoid = _float_unary("sigmoid", lambda g, x, y: g * y * (1 - y))


def neg(x: Tensor) -> Tensor:
    if x.dtype is dt.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you "
                           "are trying to invert a mask, use the `~` or `logical_not()` operator "
                           "instead.")
    return record(_unary("neg", x), (x,), lambda g: (-g,), "Neg", saved=False)


def abs(x: Tensor) -> Tensor:
    check_dtype("abs_cpu", x, "number")
    return record(_unary("abs", x), (x,), lambda g: (g * sign(x),), "Abs")


def positive(x: Tensor) -> Tensor:
    if x.dtype is dt.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return x


def relu(x: Tensor) -> Tensor:
    if x.dtype is dt.bool_:
        raise RuntimeError("Boolean inputs not supported for relu")
    return record(_unary("relu", x), (x,), lambda g: (g * gt(x, 0),), "Relu")


def _stepwise(op):
    """Piecewise-constant functions: zero gradient."""
    def fn(x: Tensor) -> Tensor:
        if x.dtype is dt.bool_ and op != "sign":
            raise unsupported(f"{op}_vml_cpu", x.dtype)
        out = _unary(op, x) if x.dtype.is_floating_point or (op == "sign" and x.dtype is not dt.bool_) \
            else x
        if out is x:
            out = wrap(x._be.copy(x._data), x._be)
        return record(out, (x,), lambda g: (g * 0,), op.capitalize())
    fn.__name__ = op
    return fn


sign = _stepwise("sign")
floor = _stepwise("floor")
ceil = _stepwise("ceil")


def round(x: Tensor, decimals=0) -> Tensor:
    if decimals:
        scale = 10.0 ** decimals
        return _stepwise("round")(x * scale) / scale
    return _stepwise("round")(x)


def _predicate(op):
    def fn(x: Tensor) -> Tensor:
        if not x.dtype.is_floating_point and op != "logical_not":
            full = wrap(x._be.full(tuple(x.shape), op == "isfinite", dt.bool_), x._be)
            return full
        return _unary(op, x)
    fn.__name__ = op
    return fn


isnan = _predicate("isnan")
isinf = _predicate("isinf")
isfinite = _predicate("isfinite")
logical_not = _predicate("logical_not")


def bitwise_not(x: Tensor) -> Tensor:
    if x.dtype.is_floating_point:
        raise unsupported("bitwise_not_cpu", x.dtype)
    return logical_not(x) if x.dtype is dt.bool_ else _unary("bitwise_not", x)


# -- binary -------------------------------------------------------------------------------
def _binary(op, a, b, compute_dtype=None):
    (ta, tb), _, be = operands(a, b, dtype=compute_dtype)
    sa, sb = be.shape(ta._data), be.shape(tb._data)
    if sa != sb:
        broadcast_shapes(sa, sb)
    return wrap(be.binary(op, ta._data, tb._data), be), ta, tb


def _inputs(a, b):
    return (a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None)


def add(a, b, alpha=1) -> Tensor:
    if alpha != 1:
        b = mul(b, alpha)
    out, _, _ = _binary("add", a, b)
    return record(out, _inputs(a, b), lambda g: (g, g), "Add", saved=False)


def sub(a, b, alpha=1) -> Tensor:
    if _is_bool(a) and _is_bool(b):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if _is_bool(a) or _is_bool(b):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    if alpha != 1:
        b = mul(b, alpha)
    out, _, _ = _binary("sub", a, b)
    return record(out, _inputs(a, b), lambda g: (g, -g), "Sub", saved=False)


def rsub(a, b) -> Tensor:
    return sub(b, a)


def _is_bool(x):
    return (isinstance(x, Tensor) and x.dtype is dt.bool_) or isinstance(x, bool)


def mul(a, b) -> Tensor:
    out, ta, tb = _binary("mul", a, b)
    return record(out, _inputs(a, b), lambda g: (g * tb, g * ta), "Mul")


def _true_div_dtype(a, b):
    d = dt.result_type(a, b)
    return d if d.is_floating_point else dt.default_float


def div(a, b, rounding_mode=None) -> Tensor:
    if rounding_mode == "floor":
        return floor_divide(a, b)
    if rounding_mode == "trunc":
        q = div(a, b)
        d = dt.result_type(a, b)
        q = where(lt(q, 0), ceil(q), floor(q))
        return q if d.is_floating_point else cast(q, d)
    if rounding_mode is not None:
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                           f"found '{rounding_mode}'")
    out, ta, tb = _binary("div", a, b, _true_div_dtype(a, b))
    return record(out, _inputs(a, b), lambda g: (g / tb, -g * ta / (tb * tb)), "Div")


def floor_divide(a, b) -> Tensor:
    out, _, _ = _binary("floor_divide", a, b)
    return out


def remainder(a, b) -> Tensor:
    out, ta, tb = _binary("remainder", a, b)
    return record(out, _inputs(a, b), lambda g: (g, -g * floor_divide(ta, tb)), "Remainder")


def fmod(a, b) -> Tensor:
    out, ta, tb = _binary("fmod", a, b)
    return record(out, _inputs(a, b), lambda g: (g, -g * div(ta, tb, rounding_mode="trunc")),
                  "Fmod")


def pow(a, b) -> Tensor:
    out_dtype = dt.result_type(a, b)
    if out_dtype is dt.bool_:
        if isinstance(a, Tensor) and isinstance(b, Tensor):
            raise unsupported("pow", dt.bool_)
        return cast(pow(cast(a, dt.uint8) if isinstance(a, Tensor) else int(a),
                        cast(b, dt.uint8) if isinstance(b, Tensor) else int(b)), dt.bool_)
    if out_dtype.category == 1 and not isinstance(b, (Tensor, bool)) and b < 0:
        raise RuntimeError(f"Integers to negative integer powers are not allowed (exponent {b}).")
    out, ta, tb = _binary("pow", a, b)

    def rule(g):
        ga = g * tb * pow(ta, tb - 1) if isinstance(a, Tensor) and a.requires_grad else None
        gb = None
        if isinstance(b, Tensor) and b.requires_grad:
            gb = where(logical_and(eq(ta, 0), ge(tb, 0)), 0.0, g * out * log(ta))
        return ga, gb

    return record(out, _inputs(a, b), rule, "Pow")


def maximum(a: Tensor, b: Tensor) -> Tensor:
    return _extremum("maximum", a, b)


def minimum(a: Tensor, b: Tensor) -> Tensor:
    return _extremum("minimum", a, b)


def _extremum(op, a, b):
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f"{op}(): argument 'other' must be Tensor, not "
                        f"{type(b if isinstance(a, Tensor) else a).__name__}")
    out, ta, tb = _binary(op, a, b)
    win = gt if op == "maximum" else lt

    def rule(g):
        tie = eq(ta, tb)
        half = where(tie, g / 2, g)
        return where(win(ta, tb) | tie, half, 0.0), where(win(tb, ta) | tie, half, 0.0)

    return record(out, (a, b), rule, op.capitalize())


def clamp(x: Tensor, min=None, max=None) -> Tensor:
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    bounds = [v for v in (min, max) if v is not None]
    out_dtype = dt.result_type(x, *bounds)
    if out_dtype is dt.bool_:
        raise RuntimeError("\"clamp_cpu\" not implemented for 'Bool'")
    xc = cast(x, out_dtype)
    out = xc.detach()
    keep = None
    if min is not None:
        lo = cast(min, out_dtype) if isinstance(min, Tensor) else min
        out, _, _ = _binary("maximum", out, lo)
        keep = ge(xc, lo)
    if max is not None:
        hi = cast(max, out_dtype) if isinstance(max, Tensor) else max
        out, _, _ = _binary("minimum", out, hi)
        keep = le(xc, hi) if keep is None else keep & le(xc, hi)
    return record(out, (xc,), lambda g: (where(keep, g, 0.0),), "Clamp")


def clamp_min(x, min):
    return clamp(x, min=min)


def clamp_max(x, max):
    return clamp(x, max=max)


def _compare(op):
    def fn(a, b) -> Tensor:
        out, _, _ = _binary(op, a, b)
        return out
    fn.__name__ = op
    return fn


eq, ne, lt, le, gt, ge = (_compare(o) for o in ("eq", "ne", "lt", "le", "gt", "ge"))
logical_and, logical_or, logical_xor = (
    _compare(o) for o in ("logical_and", "logical_or", "logical_xor"))


def _bitwise(op):
    def fn(a, b) -> Tensor:
        out, ta, _ = _binary(op, a, b)
        if ta.dtype.is_floating_point:
            raise unsupported(f"{op}_cpu", ta.dtype)
        return out
    fn.__name__ = op
    return fn


bitwise_and, bitwise_or, bitwise_xor = (
    _bitwise(o) for o in ("bitwise_and", "bitwise_or", "bitwise_xor"))


def where(condition, x=None, y=None):
    if x is None and y is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor):
        raise TypeError("where(): argument 'condition' must be Tensor")
    if condition.dtype not in (dt.bool_, dt.uint8):
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {condition.dtype.name.capitalize()}")
    (tx, ty), out_dtype, be = operands(x, y, be=condition._be)
    same_device(condition, tx)
    broadcast_shapes(tuple(condition.shape), tuple(tx.shape), tuple(ty.shape))
    out = wrap(be.where(condition._data, tx._data, ty._data), be)
    zero = scalar_tensor(0, out_dtype, be)
    return record(out, _inputs(x, y),
                  lambda g: (where(condition, g, zero), where(condition, zero, g)), "Where")


# -- in place -----------------------------------------------------------------------------
def _can_cast(src, dst) -> bool:
    return src.category <= dst.category


def inplace(x: Tensor, fn, *args) -> Tensor:
    """Run the out-of-place ``fn(x, *args)`` and write the result into x's storage.

    When autograd records the op, x is first copied so that the rule sees the old values,
    and x takes the new node; nodes that saved x will see its version move and refuse."""
    tracking = is_grad_enabled() and (x.requires_grad or any(
        isinstance(a, Tensor) and a.requires_grad for a in args))
    if tracking and x.requires_grad and x._node is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           f"operation (shape {list(x.shape)}).")
    base = x._base
    if tracking and base is not None and base.requires_grad and base._node is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           f"in-place operation (view shape {list(x.shape)}, leaf shape "
                           f"{list(base.shape)}).")
    src = x
    if tracking:
        from .shape import clone
        src = clone(x._view_fn(base) if base is not None else x)
    result = fn(src, *args)
    if not _can_cast(result.dtype, x.dtype):
        raise RuntimeError(f"result type {result.dtype.name.capitalize()} can't be cast to the "
                           f"desired output type {x.dtype.name.capitalize()}")
    if broadcast_shapes(tuple(result.shape), tuple(x.shape)) != tuple(x.shape):
        raise RuntimeError(f"output with shape {list(x.shape)} doesn't match the broadcast shape "
                           f"{list(broadcast_shapes(tuple(result.shape), tuple(x.shape)))}")
    data = result._data if result.dtype is x.dtype else x._be.cast(result._data, x.dtype)
    x._be.assign(x._data, data)
    x._bump()
    if tracking and base is not None:
        from .indexing import copy_slices
        _take_node(base, copy_slices(base, x._view_fn, result))
        _take_node(x, x._view_fn(base))
    elif tracking:
        _take_node(x, result)
    return x


def _take_node(x: Tensor, src: Tensor) -> None:
    x._node, x.requires_grad = src._node, src.requires_grad


def fill_(x: Tensor, value) -> Tensor:
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{value.ndim} dimensions.")
    return inplace(x, lambda s, v: cast(v, s.dtype) if isinstance(v, Tensor)
                   else scalar_tensor(v, s.dtype, s._be), value)


def zero_(x: Tensor) -> Tensor:
    return fill_(x, 0)


def copy_(x: Tensor, src: Tensor) -> Tensor:
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
    if src._be is not x._be:
        from .creation import to_device
        src = to_device(src, x.device.type)
    return inplace(x, lambda s, v: cast(v, s.dtype), src)
