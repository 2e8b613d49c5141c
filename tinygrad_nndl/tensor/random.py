"""One seeded generator for the whole library, so runs are reproducible."""
import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Seed the library's generator (randn, rand, init, dropout, shuffling)."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def generator():
    return _generator
