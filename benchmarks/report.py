"""Render a ``benchmarks/run.py`` results file as Markdown (for docs/performance.md).

.venv/bin/python benchmarks/report.py [benchmarks/results/latest.json]
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEFAULT = Path(__file__).resolve().parent / "results" / "latest.json"


def _num(value: float | None, fmt: str) -> str:
    return "–" if value is None else format(value, fmt)


def render(report: dict[str, Any]) -> str:
    """The machine line and one table row per result."""
    m = report["machine"]
    load = report.get("load_average_at_end") or m.get("load_average_at_start") or []
    lines = [
        f"Run of {report['started']} – {report['finished']} (UTC), {m['collectctl']} at commit "
        f"`{m['git_commit']}`, {m['cpus']} CPUs, {m['platform']}, Python {m['python']}; "
        f"load average at the end {', '.join(f'{x:.1f}' for x in load)}.",
        "",
        "| benchmark | size | command | median wall s | min wall s | CPU s | peak RSS MB "
        "| vs python | target | |",
        "|---|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in report["results"]:
        ok = {True: "ok", False: "**MISS**", None: ""}[r.get("ok")]
        ratio = f"{r['ratio']:.2f}×" if r.get("ratio") is not None else ""
        lines.append(
            f"| {r['benchmark']} | {r.get('size') or ''} | `{r['case']}` "
            f"| {_num(r.get('median_s'), '.3f')} | {_num(r.get('min_s'), '.3f')} "
            f"| {_num(r.get('median_cpu_s'), '.3f')} | {_num(r.get('peak_rss_mb'), '.0f')} "
            f"| {ratio} | {r.get('target') or ''} | {ok} |"
        )
    notes = [r for r in report["results"] if r.get("note")]
    if notes:
        lines += ["", "Notes:", ""]
        lines += [f"- {r['benchmark']} {r.get('size') or ''}: {r['note']}" for r in notes]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the Markdown for the given (or the latest) results file."""
    args = list(sys.argv[1:] if argv is None else argv)
    path = Path(args[0]) if args else DEFAULT
    print(render(json.loads(path.read_text(encoding="utf-8"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
