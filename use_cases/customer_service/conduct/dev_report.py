"""Prints the conduct policy's precision / recall per category and language on the dev set.

Run ``python -m use_cases.customer_service.conduct.dev_report`` (add ``--misses`` to list the rows
it gets wrong with the ids of the rules that fired; the texts are the project's own synthetic
utterances, never a customer's).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from use_cases.customer_service.conduct.data import load_utterances
from use_cases.customer_service.conduct.evaluate_policy import (
    decide_rows,
    format_report,
    score_decisions,
)
from use_cases.customer_service.conduct.policy import ConductPolicy

DEV_FILE = Path(__file__).resolve().parent / "dev_utterances.yaml"


def main(argv: list[str] | None = None) -> int:
    """Fit the policy, decide the dev set, print the tables; 0 on success."""
    args = sys.argv[1:] if argv is None else argv
    started = time.perf_counter()
    policy = ConductPolicy()
    fitted = time.perf_counter()
    rows = load_utterances(DEV_FILE)
    decisions = decide_rows(policy, rows)
    decided = time.perf_counter()
    report = score_decisions(rows, decisions)
    print(
        f"training utterances: {policy.training_size}; dev rows: {len(rows)}; "
        f"fit {fitted - started:.1f} s; decide {decided - fitted:.2f} s"
    )
    print(format_report(report))
    if "--misses" in args:
        print("\nmisses (language, expected -> decided, matched ids, text):")
        for row, decision in zip(rows, decisions, strict=True):
            if decision.category != row.category:
                print(
                    f"  {row.language:7s} {row.category.value:22s} -> "
                    f"{decision.category.value:22s} {','.join(decision.matched):45s} {row.text}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
