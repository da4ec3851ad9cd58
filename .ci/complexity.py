"""The complexity gate: no function in src/chidao above LIMIT by radon's cyclomatic count.

radon counts every branch, including those hidden in conditional expressions, boolean
operators and comprehensions, which ruff's C901 (mccabe) does not; chains of ``a if x else
b if y else c`` were where the logic hid. 15 is radon's middle of rank C ("moderate"): a
function a reader can still hold in mind, and the level where a split along a seam reads
better than the whole (dashboard.build went from 44 to 11 that way).

    python .ci/complexity.py [--limit 15]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from radon.complexity import cc_visit
from radon.visitors import Function

LIMIT = 15
ROOT = Path(__file__).resolve().parent.parent


def blocks(path: Path) -> list[tuple[int, str]]:
    """(complexity, name) of every function and method in ``path``."""
    code = path.read_text(encoding="utf-8")
    return [(b.complexity, b.fullname) for b in cc_visit(code) if isinstance(b, Function)]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=LIMIT)
    limit = parser.parse_args().limit
    over = []
    for path in sorted((ROOT / "src" / "chidao").rglob("*.py")):
        for complexity, name in blocks(path):
            if complexity > limit:
                over.append((complexity, f"{path.relative_to(ROOT)}:{name}"))
    for complexity, where in sorted(over, reverse=True):
        print(f"{where}: complexity {complexity} > {limit}")
    print(f"complexity: {len(over)} functions above {limit}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
