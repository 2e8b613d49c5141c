"""One step of an LSTM cell as a single primitive op (notes, chapter 5, eqs. 5.1-5.6).

Written with Tensor ops, a step is ~15 graph nodes (the gate matmul, four gate
slices, four activations, the products and sums of 5.4 and 5.6). This op does
the step in one node, so a sequence of T steps is T step nodes (``nn.LSTM``
adds one node for all its outputs wm_1..wm_T, ``StackedBlocks``): backprop
through time is still the engine walking the unrolled graph backwards; this
op only supplies the vector-Jacobian product of one step.

There are two such ops, one per way of feeding the input. ``LSTMStep`` (the
step of ``nn.LSTMCell``) includes the input projection: all four gates come
from one matmul of [x_t, wm_{t-1}]. ``LSTMProjectedStep`` (the step of
``nn.LSTM``) reads its rows p_t = P[t] of the whole sequence's input
projection P = x W_ih^T + b, computed in one matmul before the loop, and
adds the recurrent part wm_{t-1} W_hh^T. Both share the rest of the step.

The state is packed as one (B, 2H) array [wm | ltm] (PyTorch's (h, c)), so a
step has a single input and output for it. The gate activations are computed
by one function per op, ``lstm_gates`` or ``lstm_projected_gates``, for numpy
arrays or Tensors alike: the forward keeps them for the fast backward, and
under ``create_graph=True`` the backward recomputes them as recorded Tensor
ops, so that gradients of gradients are exact.
"""
import numpy as np

from ..autograd.function import Function
from ..tensor.tensor import Tensor
from .dual import reduce_sum, swap_last
from .elementwise import stable_sigmoid
from .linalg import Linear
from .movement import Cat, GetItem, slice_grad

# The two blocks of the packed state.
WM, LTM = 0, 1


def _cat_last(parts):
    """Concatenate along the last axis, on numpy arrays or recorded on Tensors."""
    if any(isinstance(p, Tensor) for p in parts):
        return Cat.apply(*parts, axis=-1)
    return np.concatenate(parts, axis=-1)


class _LazySum:
    """A gradient that many step nodes send to one place (P's rows, or the
    shared W_hh), kept unevaluated so that the sum over the steps is cheap.
    The engine only adds gradients (``+``) and reads ``dtype``; numpy reads
    the value through ``__array__``. The first sum makes an object that only
    the engine holds, so later ones are added into it in place."""

    def __radd__(self, other):
        return self + other

    def __array__(self, dtype=None, copy=None):
        value = self.dense()
        return value if dtype is None else value.astype(dtype, copy=False)

    def __getattr__(self, name):
        """Any other use (a consumer that reshapes it, say) reads the value.
        Not numpy's protocols (``__array_interface__``...): numpy then takes
        the value through ``__array__``, as an array of its own, not one
        resting on a temporary's interface."""
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.dense(), name)

    def __getitem__(self, index):
        return self.dense()[index]


class RowsSum(_LazySum):
    """zeros(shape) with ``values`` at rows ``index``: step t's delta_t sent to
    P[t]. Sums of them fill one buffer, so the T steps cost T row writes, not
    T dense (T, B, 4H) arrays; a row's first write is a copy into uninitialized
    memory (rows no step wrote are zeroed when the sum is read)."""

    __slots__ = ("shape", "rows", "buffer", "dtype", "unset")

    def __init__(self, shape, index, values):
        self.shape, self.rows, self.buffer, self.dtype = shape, [(index, values)], None, values.dtype
        self.unset = None   # with a buffer: the rows not written yet (None: all are)

    def __add__(self, other):
        return RowsSum._owned(self).add_in_place(other)

    def add_in_place(self, other):
        """self + other, into self (the walk calls it when it alone holds self)."""
        out = self if self.buffer is not None else RowsSum._owned(self)
        if isinstance(other, RowsSum) and other.buffer is None:
            for index, values in other.rows:
                out._write(index, values)
        else:
            out._complete()
            out.buffer += np.asarray(other)
        return out

    @staticmethod
    def _owned(rows):
        out = RowsSum.__new__(RowsSum)
        out.shape, out.rows, out.dtype = rows.shape, [], rows.dtype
        if rows.buffer is not None:
            out.buffer, out.unset = rows.dense().copy(), None
            return out
        out.buffer, out.unset = np.empty(rows.shape, rows.dtype), set(range(rows.shape[0]))
        for index, values in rows.rows:
            out._write(index, values)
        return out

    def _write(self, index, values):
        unset = self.unset
        if unset is not None and type(index) is int and index in unset:
            self.buffer[index] = values   # the row's first value: no zeros to add to
            unset.discard(index)
            return
        self._complete()
        self.buffer[index] += values

    def _complete(self):
        """Zero the rows not written yet, so that any index can be added to."""
        if self.unset:
            self.buffer[sorted(self.unset)] = 0
        self.unset = None

    def dense(self):
        if self.buffer is None:
            return RowsSum._owned(self).dense()
        self._complete()
        return self.buffer


class OuterSum(_LazySum):
    """sum_k a_k^T b_k, the gradient of a weight that many steps share (BP4
    summed over time), computed when read as one matmul of the stacked
    factors, [a_1; a_2; ...]^T [b_1; b_2; ...], instead of one small matmul and
    one addition per step (W_hh's gradient over the 50 steps of
    benchmarks/lstm.py: 2.4 ms instead of 5.3 ms). Past ``BUDGET`` elements
    the factors are folded into ``partial``, so a long sequence does not keep
    them all alive."""

    __slots__ = ("left", "right", "size", "partial", "dtype")
    BUDGET = 1 << 20

    def __init__(self, a, b):
        self.left, self.right, self.size, self.partial = [a], [b], a.size + b.size, None
        self.dtype = a.dtype if a.dtype == b.dtype else np.result_type(a, b)

    def __add__(self, other):
        out = OuterSum.__new__(OuterSum)   # the operands stay as they were
        out.left, out.right, out.size, out.dtype = list(self.left), list(self.right), \
            self.size, self.dtype
        out.partial = None if self.partial is None else self.partial.copy()
        return out.add_in_place(other)

    def add_in_place(self, other):
        """self + other, into self (the walk calls it when it alone holds self)."""
        if isinstance(other, OuterSum):
            self.left += other.left
            self.right += other.right
            self.size += other.size
            if other.partial is not None:
                self._fold(other.partial)
        else:
            self._fold(np.asarray(other))
        if self.size > self.BUDGET:
            self._fold(self._product())
            self.left, self.right, self.size = [], [], 0
        return self

    def _fold(self, dense):
        self.partial = dense.copy() if self.partial is None else self.partial + dense

    def _product(self):
        if len(self.left) == 1:
            return self.left[0].T @ self.right[0]
        return np.concatenate(self.left).T @ np.concatenate(self.right)

    def dense(self):
        out = self.partial
        if self.left:
            product = self._product()
            out = product if out is None else out + product
        return out.astype(self.dtype, copy=False)


def summed_outer(a, b):
    """a^T b for a (N, M) and b (N, K): BP4's delta^T x summed over a batch, as
    an ``OuterSum`` on numpy arrays (so that a weight's uses across steps are
    summed in one matmul) or recorded on Tensors."""
    if isinstance(a, Tensor):
        return swap_last(a) @ b
    return OuterSum(a, b)


class PackedGrad(_LazySum):
    """The gradient of a packed state [wm | ltm] (B, 2H) kept as its two blocks,
    either of which may be absent (zero): what the next step sends back
    (dC/dwm_{t-1}, dC/dltm_{t-1}) and what the output wm_t receives from above
    add block by block, and the step reads the blocks directly, so no (B, 2H)
    array is ever assembled or scattered into on the way."""

    __slots__ = ("wm", "ltm", "dtype", "shape")

    def __init__(self, wm, ltm):
        self.wm, self.ltm = wm, ltm
        block = wm if wm is not None else ltm
        self.dtype = block.dtype if wm is None or ltm is None or wm.dtype == ltm.dtype \
            else np.result_type(wm, ltm)
        self.shape = block.shape[:-1] + (2 * block.shape[-1],)

    def __add__(self, other):
        if isinstance(other, PackedGrad):
            return PackedGrad(_plus(self.wm, other.wm), _plus(self.ltm, other.ltm))
        return self.dense() + np.asarray(other)

    def blocks(self):
        """(dC/dwm, dC/dltm), zeros for an absent block."""
        wm, ltm = self.wm, self.ltm
        return (np.zeros_like(ltm) if wm is None else wm,
                np.zeros_like(wm) if ltm is None else ltm)

    def dense(self):
        return np.concatenate(self.blocks(), axis=-1)


def _plus(a, b):
    return a if b is None else b if a is None else a + b


def state_blocks(g, H):
    """(dC/dwm, dC/dltm) of a packed state's gradient g: a PackedGrad's blocks,
    or the halves of an array or Tensor."""
    if isinstance(g, PackedGrad):
        return g.blocks()
    return g[:, :H], g[:, H:]


def rows_grad(g, shape, t):
    """The gradient that P[t] sends back to P."""
    if isinstance(g, Tensor):
        return slice_grad(g, shape, t, False)
    if isinstance(t, (int, np.integer)) and not isinstance(t, bool):
        t = int(t) % shape[0]   # one name per row, so that its first write is a copy
    return RowsSum(shape, t, g)


def _sigmoid(z):
    return z.sigmoid() if isinstance(z, Tensor) else stable_sigmoid(z)


def _tanh(z):
    return z.tanh() if isinstance(z, Tensor) else np.tanh(z)


def _activate(z, H):
    """(save, rem, ltm', focus) from the four gates' pre-activations z (B, 4H).
    save and rem are adjacent blocks: one sigmoid serves both. On numpy, z is
    a new array and the gates are computed into it, as views of it (which the
    step's backward reads whole): ltm''s pre-activations are copied out, one
    sigmoid runs over the whole of z in place, and tanh of the copy goes into
    ltm''s block. A third cheaper than a sigmoid per block (numpy pays for each
    row of a block; the whole is contiguous), and no array besides z is kept."""
    if not isinstance(z, Tensor):
        cand = z[:, 2 * H:3 * H]
        pre = cand.copy()
        stable_sigmoid(z, out=z)
        np.tanh(pre, out=cand)
        return z[:, :H], z[:, H:2 * H], cand, z[:, 3 * H:]
    save_rem = _sigmoid(z[:, :2 * H])
    return save_rem[:, :H], save_rem[:, H:], _tanh(z[:, 2 * H:3 * H]), _sigmoid(z[:, 3 * H:])


def lstm_gates(x, state, w, b):
    """(save, rem, ltm', focus) of one step (eqs. 5.3, 5.1, 5.2, 5.5), each (B, H),
    for numpy arrays or Tensors: sigma or tanh of z = [x_t, wm_{t-1}] w^T + b.

    w (4H, D + H) is PyTorch's weight_ih and weight_hh side by side, so one
    matmul gives the four gates' pre-activations; its row blocks are the notes'
    [W_k U_k] for k = s, r, l, f (W_k of shape d x p: the erratum's shape, the
    notes print p x d). b (4H,) is bias_ih + bias_hh, or None.
    """
    H = w.shape[0] // 4
    z = _cat_last([x, state[:, :H]]) @ swap_last(w)
    if b is not None:
        z = z + b
    return _activate(z, H)


def lstm_projected_gates(p, state, w_hh):
    """The same gates when the input's part p = x_t W_ih^T + b (B, 4H) is already
    computed: z = p + wm_{t-1} w_hh^T, w_hh (4H, H) being weight_hh."""
    H = w_hh.shape[1]
    z = state[:, :H] @ swap_last(w_hh)
    if isinstance(z, Tensor) or isinstance(p, Tensor) or z.dtype != p.dtype:
        return _activate(z + p, H)
    z += p   # the product is new: the input's part is added into it
    return _activate(z, H)


class SequenceProjection(Linear):
    """``SequenceProjection.apply(x, w_ih, b)`` -> P = x W_ih^T + b, (T, B, G * H)
    for x (T, B, D): the input's part of the gate pre-activations of every
    step of a sequence at once, in one matmul before the recurrent loop
    (``nn.LSTM``, ``nn.RNN``); step t takes p_t = P[t].

    The arithmetic is ``Linear``'s; backward, dC/dW_ih = dP^T x is BP4 summed
    over all steps and examples in one matmul, dC/db their sum (BP3). It is
    its own class so that a drawn graph names P and does not take it for a
    layer of an MLP, and so that it reads the steps' summed row gradients.
    """

    def backward(self, g, out, x, w, b):
        return super().backward(g if isinstance(g, Tensor) else np.asarray(g), out, x, w, b)


class StateBlock(GetItem):
    """``StateBlock.apply(state, index=(:, kH:(k+1)H), block=k)``: wm_t (k = WM)
    or ltm_t (k = LTM), one block of a packed state (B, 2H), as a view; a
    GetItem whose backward hands the step its gradient as a ``PackedGrad``
    (one block given, the other absent), not scattered into (B, 2H) zeros."""

    block = WM

    def backward(self, g, out, a):
        if isinstance(g, Tensor):
            return super().backward(g, out, a)
        g = np.asarray(g)
        return (PackedGrad(g, None) if self.block == WM else PackedGrad(None, g),)


class StackedBlocks(Function):
    """``StackedBlocks.apply(*states, block=k, hidden=H)`` -> (T, B, H): block k
    (WM or LTM) of each of T packed states (B, 2H), stacked. ``nn.LSTM``'s
    output sequence wm_1 ... wm_T is one such node for all the steps of a layer,
    not a view of each step's output and a concatenation of the views: one node
    a step fewer to make and to walk.

    Backward: g[t] is the gradient of block k of state t, handed to that step as
    a ``PackedGrad`` (the other block absent), as ``StateBlock`` does."""

    block = WM
    hidden = 0
    save_inputs = False

    def forward(self, *states):
        self.in_shape = states[0].shape   # (the name viz reads as kept for backward)
        index = block_index(self.block, self.hidden)
        return np.stack([s[index] for s in states])

    def backward(self, g, out, *states):
        needs = self.needs
        if isinstance(g, Tensor):
            index = block_index(self.block, self.hidden)
            return tuple(slice_grad(g[t], self.in_shape, index, False) if need else None
                         for t, need in enumerate(needs))
        g = np.asarray(g)
        if self.block == WM:
            return tuple(PackedGrad(g[t], None) if need else None for t, need in enumerate(needs))
        return tuple(PackedGrad(None, g[t]) if need else None for t, need in enumerate(needs))


def block_index(k, hidden):
    """The index of block k (WM or LTM) of a packed state (B, 2H)."""
    return slice(None), slice(k * hidden, (k + 1) * hidden)


def state_block(packed, k, hidden):
    """Block k (WM or LTM) of a packed state Tensor, as ``StateBlock``."""
    return StateBlock.apply(packed, index=block_index(k, hidden),
                            block=k)


def _state_grad(g_wm, g_ltm, rem):
    """The gradient of the packed previous state: [dC/dwm_{t-1} | dC/dltm_t rem_t]
    (5.4), its blocks kept apart on numpy (``PackedGrad``)."""
    if isinstance(g_wm, Tensor):
        return _cat_last([g_wm, g_ltm * rem])
    return PackedGrad(g_wm, g_ltm * rem)


class _LSTMUpdate(Function):
    """The part of a step both LSTM ops share: from the gates' pre-activations
    z_t to the new packed state, forward (5.4, 5.6) and backward (delta_t).
    A subclass says how z_t is formed (``gates``) and, in its backward, where
    delta_t goes."""

    saved_attrs = ("saved",)   # the gates, kept by forward for backward
    save_output = True         # create_graph recomputes tanh(ltm_t) from it

    def _update(self, gates, state):
        H = state.shape[1] // 2
        save, rem, cand, focus = gates
        out = np.empty_like(state)                      # [wm_t | ltm_t], written in place
        ltm = np.multiply(rem, state[:, H:], out=out[:, H:])
        ltm += save * cand                              # (5.4)
        tanh_ltm = np.tanh(ltm)
        np.multiply(focus, tanh_ltm, out=out[:, :H])    # (5.6)
        self.saved = gates + (tanh_ltm,)
        return out

    def _errors(self, g, out, inputs):
        """(delta_t, dC/dltm_t, rem_t): delta_t = dC/dz_t, the error of the
        four gates' pre-activations (the delta of BP1/BP2)."""
        state = inputs[1]
        H = state.shape[1] // 2
        if isinstance(out, Tensor):   # create_graph: recompute as recorded ops
            save, rem, cand, focus = self.gates(*inputs)
            tanh_ltm = out[:, H:].tanh()
        else:
            save, rem, cand, focus, tanh_ltm = self.saved
        g_wm, g_ltm = state_blocks(g, H)
        # 5.6 backwards: wm = focus * tanh(ltm), tanh' = 1 - tanh^2.
        g_ltm = g_ltm + g_wm * focus * (1 - tanh_ltm * tanh_ltm)
        # 5.4 backwards, then through sigma' = s(1 - s) and tanh' = 1 - t^2 (5.1-5.3, 5.5).
        if isinstance(g_ltm, Tensor):
            delta = _cat_last([g_ltm * cand * save * (1 - save),
                               g_ltm * state[:, H:] * rem * (1 - rem),
                               g_ltm * save * (1 - cand * cand),
                               g_wm * tanh_ltm * focus * (1 - focus)])
        else:   # the same four blocks: s(1 - s) of the whole gates' array z at once
            z = save.base   # the gates are views of it (_activate)
            delta = np.subtract(1, z)
            delta *= z
            d_cand = delta[:, 2 * H:3 * H]   # ltm' is a tanh: 1 - ltm'^2 there instead
            np.multiply(cand, cand, out=d_cand)
            np.subtract(1, d_cand, out=d_cand)
            if delta.dtype != g_ltm.dtype:   # a wider gradient (float64 into float32 gates)
                delta = delta.astype(g_ltm.dtype)   # keeps its precision from here on
                d_cand = delta[:, 2 * H:3 * H]
            delta[:, :H] *= g_ltm * cand
            delta[:, H:2 * H] *= g_ltm * state[:, H:]
            d_cand *= g_ltm * save
            delta[:, 3 * H:] *= g_wm * tanh_ltm
        return delta, g_ltm, rem


class LSTMStep(_LSTMUpdate):
    """``LSTMStep.apply(x, state, w, b)`` -> the new packed state [wm_t | ltm_t], (B, 2H).

    The step of ``nn.LSTMCell``, its input projection included: x (B, D) is
    x_t, state (B, 2H) is [wm_{t-1} | ltm_{t-1}], w and b are as in
    ``lstm_gates``. Forward: the gates, then ltm_t = rem * ltm_{t-1} + save * ltm'
    (5.4) and wm_t = focus * tanh(ltm_t) (5.6). The node keeps the numpy values
    ``saved = (save, rem, ltm', focus, tanh(ltm_t))`` for its backward (they
    also serve to inspect or draw the step).

    Backward: delta_t = dC/dz_t, the error of the four gates' pre-activations
    z_t = [x_t, wm_{t-1}] w^T + b; dC/dw = delta_t^T [x_t, wm_{t-1}] (BP4),
    dC/db = sum of delta_t over the batch (BP3), delta_t w to [x_t, wm_{t-1}]
    (BP2) and dC/dltm_t * rem_t to ltm_{t-1} (5.4).
    """

    def gates(self, x, state, w, b):
        """The step's (save, rem, ltm', focus) from its inputs."""
        return lstm_gates(x, state, w, b)

    def forward(self, x, state, w, b):
        H = w.shape[0] // 4
        if x.ndim != 2 or state.ndim != 2 or w.shape != (4 * H, x.shape[1] + H) \
                or state.shape != (x.shape[0], 2 * H) or (b is not None and b.shape != (4 * H,)):
            raise ValueError(f"expected x (batch, D), a packed state (batch, 2H), weights "
                             f"(4H, D + H) and a bias (4H,) or None, got {x.shape}, "
                             f"{state.shape}, {w.shape} and {None if b is None else b.shape}")
        return self._update(self.gates(x, state, w, b), state)

    def backward(self, g, out, x, state, w, b):
        delta, g_ltm, rem = self._errors(g, out, (x, state, w, b))
        H = w.shape[0] // 4
        D = w.shape[1] - H
        need_x, need_state, need_w, need_b = self.needs
        g_x = g_state = None
        if need_x or need_state:
            # BP2: the error sent back to [x_t, wm_{t-1}] is delta w (only the columns needed).
            g_xh = delta @ (w if need_x else w[:, D:])
            g_x = g_xh[:, :D] if need_x else None
            if need_state:
                g_state = _state_grad(g_xh[:, -H:], g_ltm, rem)   # ltm_{t-1} via rem (5.4)
        # BP4 and BP3 summed over the batch: dC/dw = delta^T [x_t, wm_{t-1}], dC/db = sum delta.
        return (g_x,
                g_state,
                swap_last(delta) @ _cat_last([x, state[:, :H]]) if need_w else None,
                reduce_sum(delta, 0) if need_b else None)


class LSTMProjectedStep(_LSTMUpdate):
    """``LSTMProjectedStep.apply(P, state, w_hh, t=t)`` -> the new packed state
    [wm_t | ltm_t], (B, 2H): step t of ``nn.LSTM``, whose input projection
    P = x W_ih^T + b (T, B, 4H) of the whole sequence is one matmul before the
    loop (``SequenceProjection``). The step reads its rows p_t = P[t] and adds
    only the recurrent part: z_t = p_t + wm_{t-1} w_hh^T, w_hh (4H, H) being
    weight_hh. The rest is ``LSTMStep``'s (5.4, 5.6; ``saved`` likewise).
    Taking P whole and t, not a slice of P, spares a graph node per step.

    Backward: delta_t itself is dC/dp_t, sent to P's rows of step t (a
    ``RowsSum``: the walk's sums of them fill one dC/dP for all steps; P's own
    node then gives dC/dW_ih = dP^T x, BP4 over all steps in one matmul);
    delta_t w_hh to wm_{t-1} (BP2) and dC/dltm_t * rem_t to ltm_{t-1} (5.4), as
    a ``PackedGrad``; and dC/dw_hh = delta_t^T wm_{t-1} (BP4; an ``OuterSum``,
    so that the sum over the steps is one matmul).
    """

    def gates(self, P, state, w_hh):
        """The step's (save, rem, ltm', focus) from its inputs."""
        return lstm_projected_gates(P[self.t], state, w_hh)

    def forward(self, P, state, w_hh):
        H = w_hh.shape[-1]
        if P.ndim != 3 or state.ndim != 2 or w_hh.shape != (4 * H, H) \
                or P.shape[1:] != (state.shape[0], 4 * H) or state.shape[1] != 2 * H:
            raise ValueError(f"expected a projection P (steps, batch, 4H), a packed state "
                             f"(batch, 2H) and weight_hh (4H, H), got {P.shape}, "
                             f"{state.shape} and {w_hh.shape}")
        t = getattr(self, "t", None)
        if not isinstance(t, (int, np.integer)) or isinstance(t, bool):
            raise ValueError(f"expected the step as an integer t=, got {t!r}")
        if not -P.shape[0] <= t < P.shape[0]:
            raise IndexError(f"step t={t} is outside P's {P.shape[0]} steps")
        return self._update(self.gates(P, state, w_hh), state)

    def backward(self, g, out, P, state, w_hh):
        delta, g_ltm, rem = self._errors(g, out, (P, state, w_hh))
        H = w_hh.shape[1]
        need_p, need_state, need_w = self.needs
        return (rows_grad(delta, P.shape, self.t) if need_p else None,
                _state_grad(delta @ w_hh, g_ltm, rem) if need_state else None,
                summed_outer(delta, state[:, :H]) if need_w else None)
