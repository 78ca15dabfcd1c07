"""Commit finished shards as they land (``--commit`` of the long jobs): expensive answers are data."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def commit_paths(paths, message: str) -> bool:
    """``git add`` + ``git commit`` exactly ``paths``; a failure is reported on stderr, never raised
    (a long job must not die because git was busy)."""
    files = [str(Path(p)) for p in paths if Path(p).exists()]
    res = subprocess.run(["git", "add", "--", *files], capture_output=True, text=True)
    if res.returncode == 0:
        res = subprocess.run(["git", "commit", "-q", "-m", message, "--", *files], capture_output=True, text=True)
    if res.returncode != 0:
        print(f"warning: could not commit {files}: {res.stderr.strip()[-300:]}", file=sys.stderr)
        return False
    return True
