"""Ordinary PyTorch programs (programs.py) run with only the import changed.

In the torch group each program runs twice, once on PyTorch and once on
tinygrad_nndl, and the losses must agree step by step. Without torch, the
same programs run on tinygrad_nndl against expected.json, the values PyTorch
gave (recorded by ``python -m tests.compat.record_expectations``).
"""
import json
import os

import numpy as np
import pytest

import tinygrad_nndl

from .programs import PROGRAMS

# float32 training runs: one rounding in the last place, compounded over 24-48 steps
TOL = dict(rtol=2e-5, atol=2e-6)
EXPECTED = os.path.join(os.path.dirname(__file__), "expected.json")


def _compare(ours, theirs):
    assert set(ours) == set(theirs)
    for key in theirs:
        a, b = np.asarray(ours[key]), np.asarray(theirs[key])
        assert a.shape == b.shape, key
        for step, (x, y) in enumerate(zip(a.ravel(), b.ravel())):
            np.testing.assert_allclose(x, y, **TOL, err_msg=f"{key}, step {step}")


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_matches_the_values_pytorch_recorded(name, tmp_path):
    with open(EXPECTED) as f:
        expected = json.load(f)[name]
    _compare(PROGRAMS[name](tinygrad_nndl, tmp_path / "checkpoint.pt"), expected)


@pytest.fixture
def torch_one_thread():
    """PyTorch with one thread: on a small shared machine its thread pool makes
    these tiny recurrent steps 30x slower."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(threads)


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_runs_the_same_on_pytorch_and_with_the_import_swapped(name, tmp_path,
                                                                      torch_one_thread):
    torch = torch_one_thread
    theirs = PROGRAMS[name](torch, tmp_path / "torch.pt")
    ours = PROGRAMS[name](tinygrad_nndl, tmp_path / "ours.pt")
    _compare(ours, theirs)


def test_the_resumed_epoch_repeats_the_epoch_after_the_checkpoint(tmp_path):
    result = PROGRAMS["mlp"](tinygrad_nndl, tmp_path / "checkpoint.pt")
    per_epoch = len(result["resumed"])
    np.testing.assert_allclose(result["resumed"], result["losses"][per_epoch:2 * per_epoch],
                               rtol=1e-6)
