"""Recurrent layers: the LSTM of the notes (chapter 5, eqs. 5.1-5.6) and a plain RNN.

Parameter names, shapes, gate order, initialization and call conventions are
PyTorch's, so a ``torch.nn.LSTM`` / ``LSTMCell`` / ``RNN`` / ``RNNCell`` state
dict loads unchanged. The notes' names map to PyTorch's as follows (blocks of
H = hidden_size rows of ``weight_ih`` (4H, input_size), ``weight_hh`` (4H, H),
``bias_ih`` and ``bias_hh`` (4H,), in this order)::

    notes (ch. 5)           PyTorch            block   W_* = rows of weight_ih (d x p)
    save_t   (5.3)          input gate  i_t    0       W_s, U_s, b_s
    rem_t    (5.1)          forget gate f_t    1       W_r, U_r, b_r
    ltm'_t   (5.2)          candidate   g_t    2       W_l, U_l, b_l
    focus_t  (5.5)          output gate o_t    3       W_f, U_f, b_f
    ltm_t    (5.4)          cell state  c_t
    wm_t     (5.6)          hidden state h_t

U_* are the same row blocks of ``weight_hh`` and b_* = bias_ih + bias_hh
(PyTorch keeps two biases where the notes have one). The notes state
W_r in R^{p x d}; for W_r x_t with x_t in R^p it must be d x p, which is
PyTorch's layout.

Backprop through time is not written anywhere: the forward pass unrolls the
sequence into the autograd graph, one op per LSTM step
(``ops.recurrent.LSTMProjectedStep``, or ``LSTMStep`` for a lone cell) and
the engine walks it back, step by step. Its memory is linear in the sequence
length and it has no recursion, so sequences of thousands of steps are fine.
"""
import math
from collections import namedtuple

import numpy as np

from ..ops.gru import GRUProjectedStep
from ..ops.recurrent import (LTM, WM, LSTMProjectedStep, LSTMStep, SequenceProjection,
                             StackedBlocks, lstm_gates, lstm_projected_gates, state_block)
from ..tensor.dtypes import float32, is_floating
from ..tensor.errors import OpError
from ..tensor.functions import cat
from ..tensor.tensor import Tensor
from . import functional as F
from . import init
from .module import Module, Parameter, _check_device

LSTMGates = namedtuple("LSTMGates", ["save", "rem", "ltm_prime", "focus"])
LSTMGates.__doc__ = """The gate activations of a run, for inspection (no gradient):
save = input gate (5.3), rem = forget gate (5.1), ltm_prime = candidate ltm' (5.2),
focus = output gate (5.5)."""

_ACTIVATIONS = {"tanh": Tensor.tanh, "relu": Tensor.relu}


def _shape(t):
    return tuple(t.shape)


def _require_tensor(who, name, t):
    if not isinstance(t, Tensor):
        raise TypeError(f"{who}: {name} must be a Tensor, got {type(t).__name__}")
    if not is_floating(t.dtype):
        raise TypeError(f"{who}: {name} must be floating point, got dtype {t.dtype}")


def _check_states(who, states, want, relation, input):
    """Each given (name, state) must be a float Tensor of shape ``want``."""
    for name, s in states:
        if s is None:
            continue
        _require_tensor(who, name, s)
        if _shape(s) != want:
            raise ValueError(f"{who}: expected {name} of shape {want} {relation} the input of "
                             f"shape {_shape(input)}, got {_shape(s)}")


def _zeros(shape, dtype):
    return Tensor._make(np.zeros(shape, dtype=dtype), None)


def _lstm_weights(w_ih, w_hh, b_ih, b_hh):
    """The step op's (w, b): [W_ih | W_hh], so that each step's four gates come
    from one matmul of [x_t, wm_{t-1}], and b = b_ih + b_hh, the notes' single
    bias of each gate. Built once per forward (two ops; their backward hands
    each parameter its part)."""
    return cat([w_ih, w_hh], dim=1), (None if b_ih is None else b_ih + b_hh)


def _pack_state(h, c, batch, hidden, dtype):
    """(wm, ltm) packed as the step op's (B, 2H) state [wm | ltm]."""
    if h is None and c is None:
        return _zeros((batch, 2 * hidden), dtype)
    h = _zeros((batch, hidden), dtype) if h is None else h
    c = _zeros((batch, hidden), dtype) if c is None else c
    return cat([h, c], dim=-1)


def _data(t):
    return None if t is None else t.data


def _rnn_step(p, h, w_hh, activation):
    """h_t = act(p_t + h_{t-1} W_hh^T), p_t = x_t W_ih^T + b being the input's part."""
    return activation(p + F.linear(h, w_hh))


class _CellBase(Module):
    """Parameters of a one-step cell: weight_ih (G*H, D), weight_hh (G*H, H),
    bias_ih and bias_hh (G*H,), with G gate blocks."""

    _blocks = 1

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        _check_device(device, type(self).__name__)
        _check_sizes(type(self).__name__, input_size, hidden_size, 1)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bool(bias)
        dtype = np.dtype(dtype or float32)
        rows = self._blocks * hidden_size
        self.weight_ih = Parameter(np.empty((rows, input_size), dtype=dtype))
        self.weight_hh = Parameter(np.empty((rows, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(np.empty(rows, dtype=dtype))
            self.bias_hh = Parameter(np.empty(rows, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        """U(-1/sqrt(H), 1/sqrt(H)) for every weight and bias, as PyTorch."""
        bound = 1 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _check(self, input, states):
        """Validate input (D,) or (B, D) and each state (H,) or (B, H); return
        (batched, batch size). Raises before anything is computed."""
        who = type(self).__name__
        _require_tensor(who, "input", input)
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(f"{who}: expected input of shape (batch, {self.input_size}) or "
                             f"({self.input_size},), got {_shape(input)}")
        batched = input.ndim == 2
        batch = input.shape[0] if batched else 1
        want = (batch, self.hidden_size) if batched else (self.hidden_size,)
        _check_states(who, states, want, "to match", input)
        return batched, batch

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        return s if self.bias else s + ", bias=False"


class RNNCell(_CellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu), torch.nn.RNNCell.

    ``forward(input, hx=None) -> h'``; input (B, D) or (D,), hx like h'.
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        if nonlinearity not in _ACTIVATIONS:
            raise ValueError(f"RNNCell: unknown nonlinearity {nonlinearity!r}, expected 'tanh' "
                             f"or 'relu'")
        super().__init__(input_size, hidden_size, bias, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        self._check(input, [("hx", hx)])
        if hx is None:
            hx = _zeros(input.shape[:-1] + (self.hidden_size,), self.weight_hh.dtype)
        b = None if self.bias_ih is None else self.bias_ih + self.bias_hh
        return _rnn_step(F.linear(input, self.weight_ih, b), hx, self.weight_hh,
                         _ACTIVATIONS[self.nonlinearity])

    def extra_repr(self):
        s = super().extra_repr()
        return s if self.nonlinearity == "tanh" else s + f", nonlinearity={self.nonlinearity!r}"


class LSTMCell(_CellBase):
    """One step of the notes' LSTM, eqs. 5.1-5.6 (torch.nn.LSTMCell)::

        rem_t   = sigma(W_r x_t + U_r wm_{t-1} + b_r)      (5.1)  forget gate f
        ltm'_t  = tanh (W_l x_t + U_l wm_{t-1} + b_l)      (5.2)  candidate g
        save_t  = sigma(W_s x_t + U_s wm_{t-1} + b_s)      (5.3)  input gate i
        ltm_t   = rem_t * ltm_{t-1} + save_t * ltm'_t      (5.4)  cell state c
        focus_t = sigma(W_f x_t + U_f wm_{t-1} + b_f)      (5.5)  output gate o
        wm_t    = focus_t * tanh(ltm_t)                    (5.6)  hidden state h

    All four gates come from one matmul, [x_t, wm_{t-1}] [W_ih | W_hh]^T:
    weight_ih stacks W_s, W_r, W_l, W_f and weight_hh stacks U_s, U_r, U_l, U_f
    (see the module docstring). The step is one graph node
    (``ops.recurrent.LSTMStep``; ``LSTM`` runs its sibling
    ``LSTMProjectedStep``, the same step on a projection done beforehand).

    ``forward(input, hx=None, return_gates=False) -> (h, c)``: input (B, D) or
    (D,), hx = (h, c) of shape (B, H) or (H,), zeros when None. With
    ``return_gates=True`` the result gets a third element, ``LSTMGates`` of
    (B, H) tensors without gradient.
    """

    _blocks = 4

    def forward(self, input, hx=None, return_gates=False):
        h, c = _split_hx(type(self).__name__, hx)
        batched, batch = self._check(input, [("h", h), ("c", c)])
        H = self.hidden_size
        if not batched:
            input, h, c = (None if t is None else t.reshape(1, -1) for t in (input, h, c))
        state = _pack_state(h, c, batch, H, self.weight_hh.dtype)
        w, b = _lstm_weights(self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        out = LSTMStep.apply(input, state, w, b)
        h, c = state_block(out, WM, H), state_block(out, LTM, H)
        if not batched:
            h, c = h.reshape(H), c.reshape(H)
        if not return_gates:
            return h, c
        shape = (batch, H) if batched else (H,)
        gates = LSTMGates(*(Tensor._make(a.reshape(shape), None) for a in
                            lstm_gates(input.data, state.data, w.data, _data(b))))
        return h, c, gates


def _split_hx(who, hx):
    if hx is None:
        return None, None
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise TypeError(f"{who}: hx must be a pair (h, c), got {type(hx).__name__}")
    return hx[0], hx[1]


def _check_sizes(who, input_size, hidden_size, num_layers):
    for name, v in (("input_size", input_size), ("hidden_size", hidden_size),
                    ("num_layers", num_layers)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v <= 0:
            raise ValueError(f"{who}: {name} must be a positive integer, got {v!r}")


class _RNNBase(Module):
    """Stacked recurrent layers with PyTorch's parameters
    (weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}, and the same
    with the suffix ``_reverse`` for the backward direction of a
    ``bidirectional`` layer) and shapes: input (T, B, D), or (B, T, D) with
    ``batch_first``, or unbatched (T, D); output features H, or 2H
    bidirectional ([forward, backward] at each step); initial and final
    states (num_layers * num_directions, B, H), or without B unbatched, ordered
    layer 0 forward, layer 0 backward, layer 1 forward, ...

    ``dropout`` p > 0 applies dropout (``F.dropout``) to the outputs of every
    layer but the last while the module is training, as PyTorch does.
    """

    _blocks = 1
    _fold_hh_bias = True   # b_hh joins b_ih in the projection (not for the GRU's n gate)

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        who = type(self).__name__
        _check_device(device, who)
        _check_sizes(who, input_size, hidden_size, num_layers)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) \
                or not 0 <= dropout <= 1:
            raise ValueError(f"{who}: dropout must be a number in [0, 1] (the probability "
                             f"of zeroing an element), got {dropout!r}")
        if proj_size:
            raise NotImplementedError(f"{who}: proj_size (LSTM with projections) is not "
                                      f"implemented, got proj_size={proj_size}")
        self.input_size, self.hidden_size = input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bool(bias), bool(batch_first)
        self.dropout, self.bidirectional = float(dropout), bool(bidirectional)
        self.proj_size = 0
        dtype = np.dtype(dtype or float32)
        rows = self._blocks * hidden_size
        for k in range(num_layers):
            cols = input_size if k == 0 else hidden_size * self.num_directions
            for sfx in self._suffixes:
                setattr(self, f"weight_ih_l{k}{sfx}", Parameter(np.empty((rows, cols),
                                                                         dtype=dtype)))
                setattr(self, f"weight_hh_l{k}{sfx}", Parameter(np.empty((rows, hidden_size),
                                                                         dtype=dtype)))
                if bias:
                    setattr(self, f"bias_ih_l{k}{sfx}", Parameter(np.empty(rows, dtype=dtype)))
                    setattr(self, f"bias_hh_l{k}{sfx}", Parameter(np.empty(rows, dtype=dtype)))
        self.reset_parameters()

    @property
    def num_directions(self):
        return 2 if self.bidirectional else 1

    @property
    def _suffixes(self):
        return ("", "_reverse") if self.bidirectional else ("",)

    def reset_parameters(self):
        """U(-1/sqrt(H), 1/sqrt(H)) for every weight and bias, as PyTorch."""
        bound = 1 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def layer_parameters(self, k, suffix=""):
        """(weight_ih, weight_hh, bias_ih, bias_hh) of layer k (``suffix``
        '_reverse' for its backward direction); biases None without bias."""
        get = lambda name: getattr(self, f"{name}_l{k}{suffix}", None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    @property
    def all_weights(self):
        return [[p for p in self.layer_parameters(k, sfx) if p is not None]
                for k in range(self.num_layers) for sfx in self._suffixes]

    def _check(self, input, states):
        """Validate the input and initial states; return (batched, T, B).
        Everything is checked before any computation."""
        who = type(self).__name__
        _require_tensor(who, "input", input)
        if input.ndim not in (2, 3):
            layout = "(batch, seq, features)" if self.batch_first else "(seq, batch, features)"
            raise ValueError(f"{who}: expected input of shape {layout} or unbatched "
                             f"(seq, features), got {_shape(input)}")
        if input.shape[-1] != self.input_size:
            raise OpError(f"{who}: expected input with {self.input_size} features "
                          f"(input_size) in its last dimension, got shape {_shape(input)}")
        batched = input.ndim == 3
        layers = self.num_layers * self.num_directions
        if batched:
            steps, batch = input.shape[:2][::-1] if self.batch_first else input.shape[:2]
            want = (layers, batch, self.hidden_size)
        else:
            steps, batch = input.shape[0], 1
            want = (layers, self.hidden_size)
        first = "num_layers * num_directions" if self.bidirectional else "num_layers"
        layout = f"({first}, {'batch, ' if batched else ''}hidden_size) for"
        _check_states(who, states, want, layout, input)
        return batched, steps, batch

    def _time_major(self, input, batched, steps):
        """The input as (T, B, D)."""
        if not batched:
            return input.reshape(steps, 1, self.input_size)
        return input.permute(1, 0, 2) if self.batch_first else input

    def _projection(self, xs, k, suffix=""):
        """Layer k's input projection of the whole sequence xs (T, B, D) in one
        matmul, P = x W_ih^T + b_ih (+ b_hh), (T, B, G * H): step t takes P[t]."""
        w_ih, _, b_ih, b_hh = self.layer_parameters(k, suffix)
        b = b_ih if b_ih is None or not self._fold_hh_bias else b_ih + b_hh
        return SequenceProjection.apply(xs, w_ih, b)

    def _initial(self, s, i, batched):
        """Slice i (layer * directions + direction) of an initial state, as
        (B, H); None stays None."""
        if s is None:
            return None
        return s[i] if batched else s[i].reshape(1, self.hidden_size)

    def _stack(self, hs, batch):
        """A direction's per-step (B, H) outputs as (T, B, H)."""
        if not hs:
            return _zeros((0, batch, self.hidden_size), self.weight_hh_l0.dtype)
        return cat(hs, dim=0).reshape(len(hs), batch, self.hidden_size)

    def _sequence(self, out, batched, steps):
        """The top layer's (T, B, D*H) outputs in PyTorch's layout."""
        if not batched:
            return out.reshape(steps, self.hidden_size * self.num_directions)
        return out.permute(1, 0, 2) if self.batch_first else out

    def _final(self, per_layer, batched, batch):
        H, n = self.hidden_size, self.num_layers * self.num_directions
        shape = (n, batch, H) if batched else (n, H)
        return cat(per_layer, dim=0).reshape(shape)

    def _run(self, input, initial, names):
        """The stacked, possibly bidirectional, recurrence: ``self._direction``
        runs one direction of one layer. Returns (output, final states)."""
        batched, steps, batch = self._check(input, list(zip(names, initial)))
        xs = self._time_major(input, batched, steps)
        finals = [[] for _ in initial]
        for k in range(self.num_layers):
            outs = []
            for d, sfx in enumerate(self._suffixes):
                i = k * self.num_directions + d
                P = self._projection(xs, k, sfx)
                start = [self._initial(s, i, batched) for s in initial]
                order = range(steps - 1, -1, -1) if d else range(steps)
                hs, last = self._direction(P, k, sfx, start, batch, order)
                outs.append(self._stack(hs[::-1] if d else hs, batch))
                for f, v in zip(finals, last):
                    f.append(v)
            xs = outs[0] if len(outs) == 1 else cat(outs, dim=-1)
            if self.dropout and self.training and k < self.num_layers - 1:
                xs = F.dropout(xs, self.dropout, training=True)
        return (self._sequence(xs, batched, steps),
                [self._final(f, batched, batch) for f in finals])

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(_RNNBase):
    """Stacked Elman RNN, h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)
    (torch.nn.RNN): the network whose gradients vanish over long sequences
    (notes, section 5.1) and that the LSTM fixes.

    ``forward(input, hx=None) -> (output, h_n)``; see ``_RNNBase`` for shapes.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in _ACTIVATIONS:
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r}, expected 'tanh' or "
                             f"'relu'")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        output, (h_n,) = self._run(input, [hx], ["hx"])
        return output, h_n

    def _direction(self, P, k, suffix, start, batch, order):
        activation = _ACTIVATIONS[self.nonlinearity]
        w_hh = self.layer_parameters(k, suffix)[1]
        h = start[0]
        h = _zeros((batch, self.hidden_size), w_hh.dtype) if h is None else h
        hs = []
        for t in order:
            h = _rnn_step(P[t], h, w_hh, activation)
            hs.append(h)
        return hs, [h]

    def extra_repr(self):
        s = super().extra_repr()
        return s if self.nonlinearity == "tanh" else s + f", nonlinearity={self.nonlinearity!r}"


class LSTM(_RNNBase):
    """Stacked LSTM of the notes' cells (eqs. 5.1-5.6, see ``LSTMCell``), torch.nn.LSTM.

    ``forward(input, hx=None, return_gates=False) -> (output, (h_n, c_n))``
    with input (T, B, D) ((B, T, D) with ``batch_first``; unbatched (T, D)),
    hx = (h_0, c_0) of shape (num_layers * num_directions, B, H) (zeros when
    None), output the top layer's wm_t for every t, and h_n, c_n the last wm
    and ltm of every layer and direction. ``dropout`` and ``bidirectional``
    as in ``_RNNBase``.

    Each layer projects the whole input sequence in one matmul before its
    loop, P = x W_ih^T + b_ih + b_hh (``ops.recurrent.SequenceProjection``),
    and each step is one ``ops.recurrent.LSTMProjectedStep`` node reading
    P[t] and adding wm_{t-1} W_hh^T. Backward, the engine gathers the steps'
    deltas into dC/dP, and dC/dW_ih = dP^T x is one matmul over all steps (BP4).

    With ``return_gates=True`` (one direction only) a third element holds the
    gates of every step and layer (``LSTMGates``, each of shape
    (num_layers,) + output.shape, no gradient). They are recomputed from each
    step's inputs after the loop (one more matmul per step), so the option
    costs nothing when off.
    """

    _blocks = 4

    def forward(self, input, hx=None, return_gates=False):
        h0, c0 = _split_hx(type(self).__name__, hx)
        if return_gates and self.bidirectional:
            raise NotImplementedError("LSTM: return_gates=True is implemented for one "
                                      "direction only (bidirectional=False)")
        self._gates_per_layer = [] if return_gates else None
        try:
            output, (h_n, c_n) = self._run(input, [h0, c0], ["h_0", "c_0"])
            gates = self._gates_per_layer
        finally:
            self._gates_per_layer = None
        if not return_gates:
            return output, (h_n, c_n)
        steps = output.shape[-3] if output.ndim == 3 and not self.batch_first else \
            (output.shape[1] if output.ndim == 3 else output.shape[0])
        batch = 1 if output.ndim == 2 else (output.shape[0] if self.batch_first
                                            else output.shape[1])
        return output, (h_n, c_n), self._gates(gates, output.shape, steps, batch)

    def _direction(self, P, k, suffix, start, batch, order):
        H = self.hidden_size
        w_hh = self.layer_parameters(k, suffix)[1]
        state = _pack_state(start[0], start[1], batch, H, w_hh.dtype)
        first = state
        states = []
        for t in order:
            state = LSTMProjectedStep.apply(P, state, w_hh, t=t)
            states.append(state)
        last = states[-1] if states else first
        if self._gates_per_layer is not None:
            self._gates_per_layer.append(self._layer_gates(P.data, [first] + states[:-1],
                                                           w_hh.data))
        return states, [state_block(last, WM, H), state_block(last, LTM, H)]

    def _stack(self, states, batch):
        """A direction's packed states [wm_t | ltm_t] (B, 2H) -> its outputs wm_t
        as (T, B, H), in one node (``StackedBlocks``)."""
        if not states:
            return super()._stack(states, batch)
        return StackedBlocks.apply(*states, block=WM, hidden=self.hidden_size)

    def _layer_gates(self, P, states, w_hh):
        """One layer's gates at every step, (4, T, B, H), recomputed from the steps'
        inputs without recording: only when asked for, outside the loop."""
        per_step = [lstm_projected_gates(p, s.data, w_hh) for p, s in zip(P, states)]
        return np.stack([np.stack(g) for g in per_step], axis=1) if per_step else None

    def _gates(self, per_layer, out_shape, steps, batch):
        H = self.hidden_size
        a = np.array(per_layer) if steps else np.zeros((self.num_layers, 4, 0, batch, H))
        a = a.transpose(1, 0, 2, 3, 4)                    # (4, layers, T, B, H)
        if self.batch_first and len(out_shape) == 3:
            a = a.transpose(0, 1, 3, 2, 4)
        a = np.ascontiguousarray(a, dtype=self.weight_hh_l0.dtype)
        return LSTMGates(*(Tensor._make(g.reshape((self.num_layers,) + tuple(out_shape)), None)
                           for g in a))


class GRUCell(_CellBase):
    """One GRU step (torch.nn.GRUCell), gates in PyTorch's order r, z, n (row
    blocks of weight_ih (3H, D) and weight_hh (3H, H))::

        r  = sigma(x W_ir^T + b_ir + h W_hr^T + b_hr)     reset gate
        z  = sigma(x W_iz^T + b_iz + h W_hz^T + b_hz)     update gate
        n  = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))
        h' = (1 - z) * n + z * h

    ``forward(input, hx=None) -> h'``; input (B, D) or (D,), hx like h'.
    """

    _blocks = 3

    def forward(self, input, hx=None):
        batched, batch = self._check(input, [("hx", hx)])
        H = self.hidden_size
        if not batched:
            input = input.reshape(1, -1)
            hx = None if hx is None else hx.reshape(1, H)
        if hx is None:
            hx = _zeros((batch, H), self.weight_hh.dtype)
        P = F.linear(input, self.weight_ih, self.bias_ih).reshape(1, batch, 3 * H)
        h = GRUProjectedStep.apply(P, hx, self.weight_hh, self.bias_hh, t=0)
        return h if batched else h.reshape(H)


class GRU(_RNNBase):
    """Stacked GRU (torch.nn.GRU): the gated recurrence of ``GRUCell``, with
    PyTorch's parameters (weight_ih_l{k} (3H, D), gate order r, z, n),
    ``batch_first``, ``num_layers``, ``dropout`` and ``bidirectional``.

    ``forward(input, hx=None) -> (output, h_n)``; see ``_RNNBase`` for shapes.
    The input projection of the whole sequence is one matmul before the loop;
    b_hh stays in each step, since r multiplies its n block. Each step is one
    ``ops.gru.GRUProjectedStep`` node.
    """

    _blocks = 3
    _fold_hh_bias = False

    def forward(self, input, hx=None):
        output, (h_n,) = self._run(input, [hx], ["hx"])
        return output, h_n

    def _direction(self, P, k, suffix, start, batch, order):
        H = self.hidden_size
        _, w_hh, _, b_hh = self.layer_parameters(k, suffix)
        h = start[0]
        h = _zeros((batch, H), w_hh.dtype) if h is None else h
        hs = []
        for t in order:
            h = GRUProjectedStep.apply(P, h, w_hh, b_hh, t=t)
            hs.append(h)
        return hs, [h]
