"""The chart of BENCHMARKS.md: each catalogue page's req/s against the catalogue's size.

    .venv/bin/pip install -r requirements-bench.txt   # matplotlib, once
    .venv/bin/python bench/chart.py [--sizes 1000,10000,100000] [--label L] [--out bench/results/catalog.png]

Reads the result files ``bench/catalog.py`` wrote (``bench/results/catalog-<db>-<n>.json``) for
the sizes asked, one panel per database that has any, one line per page, and hello world of
each run as the dashed reference line. Both axes are logarithmic: N spans 100×, and req/s
spans hello world's thousands down to a slow search's few. Each run's figures are from its
own minute on a shared machine, so compare a page with the hello line beside it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
DATABASES = ("sqlite", "postgresql")


def load(results_dir: Path, sizes: list[int], label: str | None = None) -> dict[str, list[dict]]:
    """The full (not ``--pages``-filtered) result files, per database, smallest N first: the
    plain runs, or those of ``catalog.py --label LABEL``."""
    suffix = f"-{label}" if label else ""
    runs = {}
    for db in DATABASES:
        found = [results_dir / f"catalog-{db}-{n}{suffix}.json" for n in sizes]
        reports = [json.loads(path.read_text()) for path in found if path.exists()]
        if reports:
            runs[db] = sorted(reports, key=lambda report: report["n"])
    return runs


def draw(runs: dict[str, list[dict]], out: Path) -> None:
    figure = Figure(figsize=(7 * len(runs), 6.5), layout="constrained")
    axes = figure.subplots(1, len(runs), squeeze=False, sharex=True, sharey=True)[0]
    every_size = sorted({report["n"] for reports in runs.values() for report in reports})
    thousands = FuncFormatter(lambda value, _position: f"{value:,.0f}")
    for ax, (db, reports) in zip(axes, runs.items(), strict=True):
        sizes = [report["n"] for report in reports]
        hello = [r["hello_world_rps"] for r in reports]
        ax.plot(sizes, hello, "k--D", linewidth=2, label="hello world (reference, each run's own)")
        pages = [p for p in reports[-1]["pages"] if not p["key"].startswith("hello")]
        colours = colormaps["tab20"].resampled(max(len(pages), 1))
        for index, page in enumerate(pages):
            points = [(r["n"], p["rps"]) for r in reports for p in r["pages"] if p["key"] == page["key"]]
            style = "-o" if page["key"].startswith(("html", "asset")) else "--s"
            ax.plot(*zip(*points, strict=True), style, color=colours(index), label=page["label"].replace("`", ""))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(every_size[0] / 1.6, every_size[-1] * 1.6)
        ax.set_xticks(every_size, [f"{n:,}" for n in every_size])
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.yaxis.set_major_formatter(thousands)
        ax.yaxis.set_minor_formatter(thousands)
        ax.set_xlabel("approved assets in the catalogue (N)")
        ax.set_title(f"{db}: req/s per page (wrk -t2 -c16, gunicorn 2 × 4)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("requests per second")
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=2, fontsize="small")
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated N to plot")
    parser.add_argument("--label", help="plot the runs made with catalog.py --label LABEL")
    parser.add_argument("--results-dir", type=Path, default=RESULTS)
    parser.add_argument("--out", type=Path, default=RESULTS / "catalog.png")
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    runs = load(args.results_dir, sizes, args.label)
    if not runs:
        raise SystemExit(f"no result files for N = {args.sizes} in {args.results_dir}: run bench/catalog.py first")
    draw(runs, args.out)
    for db, reports in runs.items():
        print(f"{db}: N = " + ", ".join(f"{report['n']:,}" for report in reports))
    print(f"Wrote {args.out}")


if __name__ == "__main__":
    main()
