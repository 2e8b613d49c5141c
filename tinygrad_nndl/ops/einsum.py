"""Einstein summation. The gradient of one operand is itself an einsum: of
the output's gradient with the other operands, back to that operand's
subscripts; so it is as differentiable as the forward."""
import string

import numpy as np

from ..autograd.function import Function
from ..tensor.tensor import Tensor


def einsum_any(equation, *operands):
    """np.einsum on arrays, the Einsum op when an operand is a Tensor."""
    if any(isinstance(x, Tensor) for x in operands):
        return Einsum.apply(*operands, equation=equation)
    return np.einsum(equation, *operands, optimize=len(operands) > 2)


def parse(equation, ndims):
    """(input subscripts, output subscripts) with the ellipsis spelled out in
    letters the equation does not use, and the implicit output (no '->') made
    explicit: the letters used once, in alphabetical order, after the
    ellipsis dimensions (numpy's and PyTorch's rule)."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ndims):
        raise ValueError(f"einsum: the equation {equation!r} has {len(terms)} operand "
                         f"subscripts but {len(ndims)} operands were given")
    free = [c for c in string.ascii_letters if c not in equation]
    width = 0
    for term, n in zip(terms, ndims):
        if "..." in term:
            width = max(width, n - (len(term) - 3))
    ell = "".join(free[:width])   # broadcast: an operand's ellipsis takes the last letters
    out_terms = []
    for term, n in zip(terms, ndims):
        named = len(term.replace("...", ""))
        if "..." in term:
            term = term.replace("...", ell[width - (n - named):] if n > named else "")
        elif named != n:
            raise ValueError(f"einsum: the subscripts {term!r} name {named} dimensions but "
                             f"the operand has {n}")
        if not all(c in string.ascii_letters for c in term):
            raise ValueError(f"einsum: invalid subscript in {term!r} (letters and '...' only)")
        out_terms.append(term)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        joined = "".join(out_terms)
        out = ell + "".join(sorted(c for c in set(joined) if joined.count(c) == 1
                                   and c not in ell))
    return out_terms, out


class Einsum(Function):
    """``np.einsum(equation, *operands)`` for an explicit equation (see
    ``parse``) whose operands agree on every letter's size (the caller
    expands size-1 dimensions first). Backward for operand i: einsum of g
    and the other operands -> operand i's subscripts; a letter repeated in
    operand i (a diagonal) gets an identity matrix that puts the gradient on
    the diagonal, a letter found nowhere else a vector of ones that
    broadcasts it."""

    equation = ""

    def forward(self, *arrays):
        return np.einsum(self.equation, *arrays, optimize=len(arrays) > 2)

    def backward(self, g, out, *operands):
        lhs, out_sub = self.equation.split("->")
        terms = lhs.split(",")
        sizes = {}
        for term, x in zip(terms, operands):
            sizes.update(zip(term, x.shape))
        grads = []
        for i, need in enumerate(self.needs):
            if not need:
                grads.append(None)
                continue
            others = [(t, x) for j, (t, x) in enumerate(zip(terms, operands)) if j != i]
            spare = iter(c for c in string.ascii_letters if c not in self.equation)
            target, extra = "", []
            seen = set(out_sub).union(*(t for t, _ in others))
            for c in terms[i]:
                if c in target:   # a repeat: a fresh letter tied to c by an identity
                    d = next(spare)
                    extra.append((c + d, np.eye(sizes[c], dtype=g.dtype)))
                    target += d
                    continue
                if c not in seen:
                    extra.append((c, np.ones(sizes[c], dtype=g.dtype)))
                    seen.add(c)
                target += c
            parts = [(out_sub, g)] + others + extra
            eq = ",".join(t for t, _ in parts) + "->" + target
            grads.append(einsum_any(eq, *(x for _, x in parts)))
        return tuple(grads)
