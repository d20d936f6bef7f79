"""Branch coverage of app/ per domain, from the combined coverage data (run after `coverage combine`).

Prints one line per package of app/ (the modules directly in app/ count as `app`), lowest first, and marks a domain
below 90%."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import coverage

THRESHOLD = 90.0


def main(report: Path) -> None:
    data = coverage.Coverage()
    data.load()
    data.json_report(outfile=str(report))
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for path, file in json.loads(report.read_text())["files"].items():
        relative = path.split("app/", 1)[-1]
        domain = relative.split("/", 1)[0] if "/" in relative else "app"
        summary = file["summary"]
        totals[domain][0] += summary["covered_lines"] + summary["covered_branches"]
        totals[domain][1] += summary["num_statements"] + summary["num_branches"]
    for domain, (covered, possible) in sorted(totals.items(), key=lambda item: item[1][0] / max(item[1][1], 1)):
        share = 100 * covered / max(possible, 1)
        print(f"{domain:<16} {share:5.1f}%{'  below 90%' if share < THRESHOLD else ''}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
