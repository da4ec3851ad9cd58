"""Whole ``chidao`` processes timed from outside, beside the interpreter's own floors.

    python benchmarks/cli.py [--runs 7]

Median and spread of ``--runs`` runs of: ``python -c pass``, ``python -c "import
sqlalchemy"``, ``chidao --help``, ``chidao calendar due``, ``chidao workflow validate``,
``chidao directive parse`` (a .txt), all where there is no database, and ``chidao task
fire`` on a small database (each fire on a fresh copy). chidao's bytecode is written first,
as an installed package has it. Goals: ``--help`` ≤ 150 ms; ``task fire`` ≤ 1.3× ``import
sqlalchemy``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common

ROOT = Path(__file__).resolve().parent.parent
TEXT = ROOT / "tests" / "fixtures" / "directives" / "dev01-so-gddt-thuong-khan.txt"


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def fire_database(folder: Path) -> Path:
    import data
    import fanout

    base = data.org_database(folder, 50, fanout.TH)
    fanout.engine_fan_out(str(base))
    return base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    common.compiled()
    common.load("before")
    py = sys.executable
    chidao = [py, "-m", "chidao"]
    with tempfile.TemporaryDirectory(prefix="chidao-cli-") as temp:
        folder = Path(temp)
        base = fire_database(folder)
        env = {**os.environ, "CHIDAO_DB": str(folder / "fire.db"), "CHIDAO_USER": "u000001"}
        cases = {
            "python -c pass": [py, "-c", "pass"],
            'python -c "import sqlalchemy"': [py, "-c", "import sqlalchemy"],
            "chidao --help": [*chidao, "--help"],
            "chidao calendar due 24/01/2025 5": [*chidao, "calendar", "due", "24/01/2025", "5"],
            "chidao workflow validate": [
                *chidao,
                "workflow",
                "validate",
                str(ROOT / "workflows" / "bao-cao.yaml"),
            ],
            "chidao directive parse (.txt)": [*chidao, "directive", "parse", str(TEXT)],
            "chidao task fire start 2": [
                *chidao,
                "task",
                "fire",
                "start",
                "2",
            ],  # a live database: the fire takes the clock (after the issue, in 2024)
        }
        # the commands that need no database run where there is none (with one, ``calendar
        # due`` reads the office's own days off from it, which is a database command)
        bare = {k: v for k, v in env.items() if k != "CHIDAO_DB"}
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, argv in cases.items():
                if "fire" in name:
                    common.copy_of(base, "fire.db")
                times[name].append(timed(argv, env if "fire" in name else bare, folder))
        medians = {name: statistics.median(t) for name, t in times.items()}
        for name, t in times.items():
            print(
                f"{name:36} {common.fmt(medians[name]):>9}  "
                f"(spread {common.fmt(min(t))}–{common.fmt(max(t))})"
            )
        help_ok = medians["chidao --help"] <= 0.150
        ratio = medians["chidao task fire start 2"] / medians['python -c "import sqlalchemy"']
        common.load("after")
        print(f"goal chidao --help ≤ 150 ms: {'met' if help_ok else 'MISSED'}")
        print(
            f"goal task fire ≤ 1.3× import sqlalchemy: {ratio:.2f}× "
            f"{'met' if ratio <= 1.3 else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
