"""Drawing the autograd graph with graphviz, in the book's notation.

``draw_graph(loss)`` returns a ``graphviz.Digraph`` of every tensor and op
that ``loss`` depends on; ``retain_grads(loss)`` before backward makes it show
the error at every intermediate tensor (delta^l on the z^l);
``lstm_names(h, c)`` names one LSTM step's tensors as the notes do.

Needs the optional ``viz`` extra (``pip install tinygrad_nndl[viz]``), and the
Graphviz ``dot`` program to render images (not to build the DOT source).
"""
try:
    import graphviz  # noqa: F401
except ImportError as e:
    raise ImportError("tinygrad_nndl.viz needs the graphviz Python package: "
                      "pip install tinygrad_nndl[viz]  (rendering images also needs the "
                      "Graphviz 'dot' program: apt-get install graphviz / brew install "
                      "graphviz)") from e

from .draw import draw_graph
from .graph import retain_grads
from .lstm import lstm_names
from .render import ComputationGraph, DotNotFoundError

__all__ = ["draw_graph", "retain_grads", "lstm_names", "ComputationGraph", "DotNotFoundError"]
