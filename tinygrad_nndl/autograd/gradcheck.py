"""Finite-difference checks of autograd's gradients (float64 central differences)."""
import numpy as np

from ..tensor.tensor import Tensor
from .api import grad as autograd_grad
from .grad_mode import enable_grad, no_grad


class GradcheckError(RuntimeError):
    pass


def _outputs(fn, inputs):
    out = fn(*inputs)
    return (out,) if isinstance(out, Tensor) else tuple(out)


def _projection(outputs, seed):
    """Fixed random weights v: checking v . f is checking every output at once
    (a wrong Jacobian entry escapes only for v in a set of measure zero)."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(o.shape) for o in outputs]


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Compare autograd's gradient of ``fn(*inputs)`` with central differences.

    Every input that requires grad must be float64. Non-scalar outputs are
    projected on fixed random weights. Returns True, or raises GradcheckError
    naming the input, the worst element's index and both values.
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck: no input requires grad")
    for i in diff:
        if inputs[i].dtype != np.float64:
            raise ValueError(f"gradcheck: input {i} is {inputs[i].dtype}; finite differences "
                             f"need float64 inputs (use .double())")
    outputs = _outputs(fn, inputs)
    weights = _projection(outputs, seed)
    scalar = sum(((o * w).sum() for o, w in zip(outputs, weights)), Tensor(0.0, dtype=np.float64))
    if scalar.requires_grad:
        analytic = autograd_grad(scalar, [inputs[i] for i in diff], allow_unused=True)
    else:   # no path from any input: autograd says the gradient is zero
        analytic = [None] * len(diff)

    def projected():
        with no_grad():
            outs = _outputs(fn, inputs)
        return sum(float(np.sum(o.data.astype(np.float64) * w)) for o, w in zip(outs, weights))

    for i, a in zip(diff, analytic):
        x = inputs[i].data
        numeric = np.zeros(x.shape)
        # Perturb x in place, element by element (reshape(-1) would silently
        # copy a non-contiguous x, and the perturbation would never be seen).
        for k in np.ndindex(x.shape):
            orig = x[k]
            x[k] = orig + eps
            plus = projected()
            x[k] = orig - eps
            minus = projected()
            x[k] = orig
            numeric[k] = (plus - minus) / (2 * eps)
        got = np.zeros(x.shape) if a is None else a.data
        err = np.abs(got - numeric) - (atol + rtol * np.abs(numeric))
        if err.size and err.max() > 0:
            worst = np.unravel_index(np.argmax(err), x.shape)
            raise GradcheckError(
                f"gradcheck: gradient of input {i} (shape {x.shape}) is wrong at index "
                f"{tuple(int(j) for j in worst)}: analytic {got[worst]!r}, numeric "
                f"{numeric[worst]!r} (atol={atol}, rtol={rtol})")
    return True


def gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Check second derivatives: gradcheck of x -> u . grad(v . fn(x)) with the
    backward pass recorded (create_graph=True)."""
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    weights = _projection(_outputs(fn, inputs), seed)
    rng = np.random.default_rng(seed + 1)
    directions = [rng.standard_normal(inputs[i].shape) for i in diff]

    def first_derivative(*xs):
        with enable_grad():   # gradcheck evaluates this under no_grad
            return _directional_derivative(xs)

    def _directional_derivative(xs):
        outs = _outputs(fn, xs)
        scalar = sum((o * w).sum() for o, w in zip(outs, weights))
        grads = autograd_grad(scalar, [xs[i] for i in diff], create_graph=True,
                              allow_unused=True)
        terms = [(g * u).sum() for g, u in zip(grads, directions) if g is not None]
        return sum(terms[1:], terms[0]) if terms else Tensor(0.0, dtype=np.float64)

    return gradcheck(first_derivative, inputs, eps, atol, rtol, seed)
