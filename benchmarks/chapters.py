"""Time each solutions notebook top to bottom, next to the bare cost of a kernel.

    python benchmarks/chapters.py [--repeat N] [NOTEBOOK ...]

For each notebook: the median, min and max wall time of N executions (a fresh kernel
each time, as nbgrader runs them). The baseline row is a notebook that only starts a
kernel and imports torch, matplotlib and traintech: what every chapter pays before its
first exercise. Then the wall time of each "Your turn" cell (tag ``your-turn``) with its default
settings, which should stay within a few seconds (at most 10).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "import torch, matplotlib.pyplot, traintech.data, traintech.training, traintech.testing"


def execute(nb: nbformat.NotebookNode, cwd: Path) -> float:
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=False, record_timing=True,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return time.perf_counter() - start


def cell_seconds(cell: nbformat.NotebookNode) -> float:
    """A cell's wall time from the timestamps nbclient records (execute_input to execute_reply)."""
    stamps = cell.metadata.execution
    start, end = (datetime.fromisoformat(stamps[k].replace("Z", "+00:00"))
                  for k in ("iopub.execute_input", "shell.execute_reply"))
    return (end - start).total_seconds()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in solutions/")
    parser.add_argument("--repeat", type=int, default=3, help="executions per notebook (default: 3)")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat}")
    notebooks = args.notebooks or sorted((ROOT / "solutions").glob("*/*.ipynb"))
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")

    rows, turns = [], []
    baseline = new_notebook(cells=[new_code_cell(BASELINE)])
    times = [execute(nbformat.from_dict(baseline), ROOT) for _ in range(args.repeat)]
    rows.append(("kernel start + imports (baseline)", times))
    for path in notebooks:
        source = nbformat.read(path, as_version=4)
        times, cells = [], {}
        for _ in range(args.repeat):
            nb = nbformat.from_dict(source)
            times.append(execute(nb, path.parent))
            for cell in nb.cells:
                if "your-turn" in cell.metadata.get("tags", []):
                    cells.setdefault(cell.id, []).append(cell_seconds(cell))
        turns += [(f"{path.stem}: {cell_id}", seconds) for cell_id, seconds in cells.items()]
        rows.append((str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path), times))
        print(f"  {rows[-1][0]}: {', '.join(f'{t:.1f}' for t in times)} s", file=sys.stderr, flush=True)

    print(f"\n{os.cpu_count()} CPU cores, {args.repeat} run(s) each, wall time in seconds\n")
    width = max(len(name) for name, _ in rows)
    print(f"{'notebook':<{width}}  {'median':>7}  {'min':>7}  {'max':>7}")
    print(f"{'-' * width}  {'-' * 7}  {'-' * 7}  {'-' * 7}")
    for name, times in rows:
        print(f"{name:<{width}}  {statistics.median(times):7.1f}  {min(times):7.1f}  {max(times):7.1f}")
    if turns:
        width = max(len(name) for name, _ in turns)
        print(f"\n{'Your turn cell, default settings':<{width}}  {'median':>7}  {'max':>7}")
        print(f"{'-' * width}  {'-' * 7}  {'-' * 7}")
        for name, seconds in turns:
            over = "  over 10 s: make its default settings smaller" if max(seconds) > 10 else ""
            print(f"{name:<{width}}  {statistics.median(seconds):7.1f}  {max(seconds):7.1f}{over}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
