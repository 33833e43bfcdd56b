"""Run every benchmark module in ``bench/`` in turn, each in its own process.

Each module prints its own figures, as ratios against a baseline measured in the same run.
Pass module names to run only those: ``python -m bench bench_facts``. Extra arguments after
``--`` go to every module (e.g. ``-- --quick``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    extra: list[str] = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1 :]
        argv = argv[: argv.index("--")]
    modules = argv or sorted(p.stem for p in here.glob("bench_*.py"))
    failed = 0
    for name in modules:
        print(f"== {name}", flush=True)
        result = subprocess.run([sys.executable, str(here / f"{name}.py"), *extra], check=False)
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
