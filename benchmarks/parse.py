"""Parse 1,000 dispatches and report documents per second.

    python benchmarks/parse.py [--documents 1000]

The documents are the test fixtures (real and variant công văn), read from disk each time
as a clerk's command would. A single document must feel instant: well under 50 ms.
"""

from __future__ import annotations

import argparse
import time
from itertools import cycle, islice
from pathlib import Path

from chidao.parse import parse_file

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "directives"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    args = parser.parse_args()
    files = sorted(FIXTURES.glob("*.txt"))
    parse_file(files[0])  # imports and regex compilation are not per document
    slowest = 0.0
    start = time.perf_counter()
    for path in islice(cycle(files), args.documents):
        began = time.perf_counter()
        parse_file(path)
        slowest = max(slowest, time.perf_counter() - began)
    took = time.perf_counter() - start
    print(
        f"parsed {args.documents:,} documents in {took:.2f} s: {args.documents / took:,.0f} "
        f"documents/s, {took / args.documents * 1000:.2f} ms each on average, "
        f"slowest {slowest * 1000:.2f} ms (goal well under 50 ms)"
    )


if __name__ == "__main__":
    main()
