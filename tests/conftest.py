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
