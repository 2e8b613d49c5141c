"""Importing tinygrad_nndl keeps freed memory for the next step (tinygrad_nndl/memory.py),
seen in the page faults a repeated allocation pattern takes in a fresh interpreter."""
import os
import subprocess
import sys

import pytest

from tinygrad_nndl import memory

# 32 blocks of 1 MiB, written and freed, twice: the faults of the second round.
FAULTS = """
import resource
import numpy as np
import tinygrad_nndl

def step():
    blocks = [np.ones(1 << 17) for _ in range(32)]
    return sum(float(b[0]) for b in blocks)

step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""
PAGES = 32 * (1 << 20) // 4096   # what fresh memory would fault in: 8192 pages

# 32 blocks of 1 MiB, each below a small block that stays alive, then freed:
# resident memory (MiB) before and after memory.release().
RELEASE = """
import os
import numpy as np
from tinygrad_nndl import memory

def resident():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

big, small = [], []
for _ in range(32):
    big.append(np.ones(1 << 17))
    small.append(np.ones(1 << 10))
del big
kept = resident()
print(memory.release(), kept - resident())
"""

pytestmark = pytest.mark.skipif(not memory._glibc(), reason="malloc tuning is for glibc only")


def run(script, **env):
    clean = {k: v for k, v in os.environ.items()
             if k not in memory._MALLOC_ENV + (memory.ENV_SWITCH, "GLIBC_TUNABLES")}
    out = subprocess.run([sys.executable, "-c", script], env={**clean, **env},
                         capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_freed_memory_is_reused_without_page_faults():
    assert int(run(FAULTS)[0]) < PAGES // 10


@pytest.mark.parametrize("env", [{memory.ENV_SWITCH: "0"}, {memory.ENV_SWITCH: "off"},
                                 {"MALLOC_TRIM_THRESHOLD_": "131072"},
                                 {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=131072"}])
def test_the_switch_or_malloc_settings_of_ones_own_leave_malloc_alone(env):
    assert int(run(FAULTS, **env)[0]) > PAGES // 2


def test_release_hands_kept_memory_back():
    released, mib = run(RELEASE)
    assert released == "True" and float(mib) > 16
