"""`make bench`: every benchmark in bench/, each printing its own table of figures and ratios."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv):
    rc = 0
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        rc |= subprocess.call([sys.executable, str(script), *argv])
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
