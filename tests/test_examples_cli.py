"""Every example's --help: a description of whole sentences, and a sentence of
help for every option (issue 16: descriptions stopped mid-sentence and most
options had none)."""
import argparse
import os
import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))


class _Parsed(Exception):
    def __init__(self, parser):
        super().__init__()
        self.parser = parser


def _parser_of(script, monkeypatch):
    """The script's ArgumentParser, caught as main() parses its arguments."""
    def catch(self, args=None, namespace=None):
        raise _Parsed(self)
    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", catch)
    monkeypatch.setattr(os, "environ", dict(os.environ))   # lstm_memory sets BLAS threads
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.setattr(sys, "argv", [str(script)])
    with pytest.raises(_Parsed) as caught:
        runpy.run_path(str(script), run_name="__main__")
    return caught.value.parser


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_help_is_complete_sentences_for_every_option(script, monkeypatch):
    parser = _parser_of(script, monkeypatch)
    assert parser.description.endswith("."), parser.description
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help and action.help[0].isupper() and action.help.endswith("."), \
            (script.name, action.option_strings, action.help)


def test_draw_graph_defaults_to_runs_and_its_help_needs_no_graphviz(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    monkeypatch.delitem(sys.modules, "tinygrad_nndl.viz", raising=False)
    parser = _parser_of(EXAMPLES / "draw_graph.py", monkeypatch)
    assert Path(parser.get_default("out_dir")) == Path("runs") / "draw_graph"


def test_mnist_writes_under_runs_mnist(monkeypatch):
    parser = _parser_of(EXAMPLES / "mnist.py", monkeypatch)
    assert Path(parser.get_default("out_dir")) == Path("runs") / "mnist"
