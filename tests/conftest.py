"""Shared test settings: one hypothesis profile for the whole suite and a
seeded library generator for every test.

``HYPOTHESIS_PROFILE=thorough python -m pytest`` runs ten times more examples.
"""
import os

import pytest
from hypothesis import HealthCheck, settings

import tinygrad_nndl

# Gradient checks make examples slow (two forward passes per input element),
# so the default stays modest and no example has a deadline.
# The default profile is derandomized: every run of the suite (and CI) draws the
# same examples; `thorough` explores new ones each run.
settings.register_profile("ci", max_examples=25, deadline=None, print_blob=True,
                          derandomize=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=250, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config):
    # Reporting a failing example makes hypothesis import libcst (when it is
    # installed), which warns on import; under filterwarnings=error that
    # warning would hide the real failure behind an INTERNALERROR.
    config.addinivalue_line(
        "filterwarnings", "ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning")


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same state of the library's one generator."""
    tinygrad_nndl.manual_seed(0)
    yield


# The optional parts of the suite and how to include them, for the one line
# printed at the end of a run that skipped them.
_OPTIONAL = (
    ("torch", "PyTorch-oracle", "torch is not installed: pip install torch==2.13.0"),
    ("dot", "rendering", "Graphviz's dot program is missing: apt-get install graphviz"),
    ("graphviz", "drawing", "the graphviz package is missing: pip install -e \".[viz]\""),
)


def _skip_cause(report):
    reason = str(report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr)
    # a module skipped at collection (importorskip) gives a CollectReport: no keywords
    if "torch" in getattr(report, "keywords", ()) or "'torch'" in reason:
        return "torch"
    if "'dot'" in reason or "dot program" in reason:
        return "dot"
    if "'graphviz'" in reason:
        return "graphviz"
    return None


def pytest_terminal_summary(terminalreporter):
    counts = {}
    for report in terminalreporter.stats.get("skipped", []):
        cause = _skip_cause(report)
        if cause:
            counts[cause] = counts.get(cause, 0) + 1
    parts = [f"{counts[key]} {what} tests ({how})" for key, what, how in _OPTIONAL
             if counts.get(key)]
    if parts:
        terminalreporter.write_line("skipped " + "; ".join(parts) + ".", yellow=True)
