"""Record tests/compat/expected.json: the results of the programs of
programs.py run on PyTorch (the oracle), so that test_programs.py can check
this library against them where torch is not installed.

Run from the repository root, with torch installed:

    python -m tests.compat.record_expectations
"""
import json
import os
import tempfile

import torch

from .programs import PROGRAMS

OUT = os.path.join(os.path.dirname(__file__), "expected.json")


def main():
    results = {"_produced_by": f"python -m tests.compat.record_expectations with torch "
                               f"{torch.__version__} (CPU, float32)"}
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        for name, run in PROGRAMS.items():
            results[name] = run(torch, os.path.join(tmp, f"{name}.pt"))
    with open(OUT, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
