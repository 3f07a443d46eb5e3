"""Peak memory and CPU time of grading each chapter's complete notebook in its Gradescope bundle.

    python benchmarks/gradescope.py [--chapters 00_getting_started ...] [--isolation auto user]

For each chapter: build the bundle (``python -m autograder gradescope``), unpack it in
Gradescope's layout in a bubblewrap box on this machine (``autograder.gradescope.Layout``: a
temporary folder is ``/autograder``), run ``setup.sh`` as Gradescope builds the image (pip
compiling, as there; PyTorch's CPU index skipped, which this machine cannot reach: pip's own
configuration serves the same wheels), then ``run_autograder`` on the example class's complete
notebook (``autograder/examples/ID/example-ada_ID.ipynb``) with each isolation: ``auto`` (a
bubblewrap sandbox, which this machine allows) and ``user`` (the unprivileged user, what
Gradescope's Docker containers get).

Measured: wall time; the peaks, over the whole process tree polled every 0.1 s, of the sum of
the proportional set sizes (PSS: shared pages counted once, as a memory cgroup charges them, the
libraries' code included) and of the anonymous memory (what the cgroup cannot reclaim: it can
drop code pages and read them again); the CPU time (user + system) of every process of the
tree. Gradescope's defaults: 768 MB of memory, half a CPU, 10 minutes; at half a CPU a
grading's wall time there is about twice its CPU time here. Every grading must give full
marks, else the benchmark stops. The table is printed as markdown; progress goes to stderr.
Needs root and bubblewrap; takes about a minute per chapter.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograder.course import ROOT, chapter_ids  # noqa: E402
from autograder.gradescope import SETTINGS, Layout, build  # noqa: E402

MB = 2**20  # MiB: Gradescope's "768MB" is a Docker limit, 768 MiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapters", nargs="*", default=chapter_ids())
    parser.add_argument("--isolation", nargs="*", default=["auto", "user"], choices=["auto", "user"])
    args = parser.parse_args()
    rows = []
    for chapter in args.chapters:
        with tempfile.TemporaryDirectory(prefix="tt-gradescope-") as tmp:
            bundle = build(chapter, Path(tmp) / "dist")
            layout = Layout(bundle, Path(tmp) / "box")
            setup = layout.setup({"TT_TORCH_INDEX": ""})
            if setup.returncode != 0:
                raise SystemExit(f"{chapter}: setup.sh failed:\n{setup.output[-3000:]}")
            print(f"{chapter}: setup {setup.seconds:.0f} s", file=sys.stderr)
            notebook = ROOT / "autograder" / "examples" / chapter / f"example-ada_{chapter}.ipynb"
            for isolation in args.isolation:
                settings = layout.root / "source" / SETTINGS
                settings.write_text(json.dumps({**json.loads(settings.read_text()), "isolation": isolation}))
                run = layout.grade([notebook])
                results = run.results or {}
                full = sum(t.get("max_score", 0) for t in results.get("tests", []))
                if run.returncode != 0 or not results.get("tests") or results.get("score") != full:
                    raise SystemExit(f"{chapter} ({isolation}): not full marks:\n{json.dumps(results)[:2000]}\n"
                                     f"{run.output[-2000:]}")
                how = "sandbox" if "bubblewrap sandbox" in results["output"] else "user"
                rows.append((chapter, how, bundle.stat().st_size, run.seconds, run.peak_memory, run.peak_anonymous,
                             run.cpu_seconds))
                print(f"{chapter} ({how}): {run.seconds:.1f} s, peak {run.peak_memory / MB:.0f} MiB PSS, "
                      f"{run.peak_anonymous / MB:.0f} MiB anonymous, CPU {run.cpu_seconds:.1f} s", file=sys.stderr)
    print("| chapter | kernel runs | bundle | wall time (2 cores) | CPU time | peak PSS (tree) | peak anonymous (tree) |")
    print("|---|---|---|---|---|---|---|")
    for chapter, how, size, seconds, peak, anonymous, cpu in rows:
        print(f"| `{chapter}` | {how} | {size / MB:.2f} MiB | {seconds:.1f} s | {cpu:.1f} s | {peak / MB:.0f} MiB | "
              f"{anonymous / MB:.0f} MiB |")


if __name__ == "__main__":
    main()
