"""``sandbox gpu`` and ``sandbox jobs``: devices, per-tenant usage against quotas, the job queue.

Registered in ``sandbox/cli.py``; SandboxErrors raised here are printed on one line by its main().
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from sandbox.compute.devices import list_devices, select_device, select_dtype
from sandbox.compute.queue import Job, open_queue
from sandbox.compute.quotas import load_quotas
from sandbox.compute.usage import HKT, hk_day, open_ledger
from sandbox.config import load_settings
from sandbox.errors import PrerequisiteError
from sandbox.identity import Role

gpu_app = typer.Typer(help="GPU devices and per-tenant usage against quotas.", no_args_is_help=True)
jobs_app = typer.Typer(
    help="The job queue (the server's when signed in to one; else this home's).",
    no_args_is_help=True,
)

console = Console()
CPU_LINE = "no CUDA device: running on CPU (embedded defaults)"


@gpu_app.callback()
def _gpu() -> None:
    """GPU devices and per-tenant usage against quotas."""


@gpu_app.command("status")
def gpu_status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables")] = False,
) -> None:
    """Devices (memory, utilisation), today's usage per tenant against quota, active leases.

    Admins see every tenant; other roles see their own tenant only.
    """
    settings = load_settings()
    identity = settings.identity
    devices = list_devices()
    try:
        device: str | None = select_device(settings.device)
        device_problem = ""
    except PrerequisiteError as exc:
        device, device_problem = None, str(exc)
    dtype = str(select_dtype(device)).removeprefix("torch.") if device else None
    ledger = open_ledger(settings)
    quotas = load_quotas(settings)
    usage = ledger.summary()
    leases = ledger.active_leases()
    if identity.role is Role.ADMIN:
        tenants = sorted({identity.tenant, *usage, *quotas.tenants, *(x.tenant for x in leases)})
    else:
        tenants = [identity.tenant]
        leases = [lease for lease in leases if lease.tenant == identity.tenant]
    rows = []
    for tenant in tenants:
        quota = quotas.for_tenant(tenant)
        used = usage.get(tenant, {})
        held = [lease for lease in leases if lease.tenant == tenant]
        rows.append(
            {
                "tenant": tenant,
                "tokens": used.get("tokens", 0.0),
                "tokens_per_day": quota.tokens_per_day,
                "requests": used.get("requests", 0.0),
                "gpu_seconds": used.get("gpu_seconds", 0.0),
                "gpu_seconds_per_day": quota.gpu_seconds_per_day,
                "active_requests": sum(lease.kind == "requests" for lease in held),
                "concurrent_requests": quota.concurrent_requests,
                "active_jobs": sum(lease.kind == "jobs" for lease in held),
                "concurrent_jobs": quota.concurrent_jobs,
            }
        )
    day = hk_day(time.time()).isoformat()
    if as_json:
        payload: dict[str, Any] = {
            "cuda": bool(devices),
            "device": device,
            "device_error": device_problem or None,
            "dtype": dtype,
            "devices": [asdict(d) for d in devices],
            "day_hkt": day,
            "usage": rows,
            "leases": [asdict(lease) for lease in leases],
            "quotas_file": str(quotas.path),
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    if devices:
        table = Table(title=f"CUDA devices (runs use {device or '-'}, {dtype or '-'})")
        for column in ("#", "name", "memory used / total (MiB)", "utilisation"):
            table.add_column(column)
        for d in devices:
            used_mem = "-" if d.used_memory_mib is None else f"{d.used_memory_mib:,}"
            util = "-" if d.utilisation_pct is None else f"{d.utilisation_pct:.0f}%"
            table.add_row(str(d.index), d.name, f"{used_mem} / {d.total_memory_mib:,}", util)
        console.print(table)
    else:
        console.print(CPU_LINE)
    if device_problem:
        console.print(f"[bold red]device setting:[/bold red] {device_problem}", soft_wrap=True)
    table = Table(title=f"Usage today ({day}, Hong Kong; resets at midnight HKT)")
    for column in ("tenant", "tokens", "requests", "GPU-seconds", "active requests", "jobs"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["tenant"],
            f"{row['tokens']:,.0f} / {row['tokens_per_day']:,}",
            f"{row['requests']:,.0f}",
            f"{row['gpu_seconds']:,.0f} / {row['gpu_seconds_per_day']:,.0f}",
            f"{row['active_requests']} / {row['concurrent_requests']}",
            f"{row['active_jobs']} / {row['concurrent_jobs']}",
        )
    console.print(table)
    if settings.server_url is not None:
        console.print(f"Quotas: the sandbox server's ({settings.server_url})", highlight=False)
    else:
        present = "" if quotas.path.exists() else " (not present: the defaults)"
        console.print(f"Quotas: {quotas.path}{present}", highlight=False)


@jobs_app.command("submit")
def jobs_submit(
    command: Annotated[list[str], typer.Argument(help="Program and arguments, after --")],
    gpus: Annotated[int, typer.Option(min=0, help="CUDA devices the job needs")] = 0,
    gpu_seconds: Annotated[
        float | None,
        typer.Option(min=0, help="Estimated wall seconds x GPUs (default 600 per GPU)"),
    ] = None,
    tenant: Annotated[
        str | None, typer.Option(help="Tenant charged (admins only; default: yours)")
    ] = None,
) -> None:
    """Queue a command: ``sandbox jobs submit --gpus 1 -- python train.py``."""
    settings = load_settings()
    identity = settings.identity
    queue = open_queue(settings)
    estimate = 600.0 * gpus if gpu_seconds is None else gpu_seconds
    job_id = queue.submit(tenant or identity.tenant, identity.user, command, gpus, estimate)
    console.print(
        f"queued job [bold]{job_id}[/bold]; start it with `sandbox jobs run-next`", highlight=False
    )


@jobs_app.command("list")
def jobs_list(limit: Annotated[int, typer.Option(help="How many jobs")] = 30) -> None:
    """Your tenant's jobs (admins: every tenant's), newest first, and why queued ones wait."""
    queue = open_queue(load_settings())
    jobs = queue.list(limit=limit)
    if not jobs:
        console.print("No jobs. Queue one with `sandbox jobs submit -- python script.py`.")
        return
    waiting = queue.waiting_reasons()
    table = Table(title=f"Jobs ({len(jobs)}, newest first)")
    for column in ("id", "tenant / user", "program", "GPUs", "state", "submitted (HKT)", "note"):
        table.add_column(column, overflow="fold")
    for job in jobs:
        table.add_row(
            str(job.id),
            f"{job.tenant}\n{job.user}",
            job.program,
            str(job.gpus),
            job.state,
            datetime.fromtimestamp(job.submitted, HKT).strftime("%m-%d %H:%M:%S"),
            waiting.get(job.id, "") or _job_note(job),
        )
    console.print(table)


@jobs_app.command("run-next")
def jobs_run_next() -> None:
    """Run the next job by fair share in the foreground and record its GPU-seconds."""
    queue = open_queue(load_settings())
    job = queue.run_next()
    if job is None:
        reasons = queue.waiting_reasons()
        if not reasons:
            console.print("No queued jobs.")
            return
        console.print(f"No queued job may start now ({len(reasons)} waiting):")
        for job_id, reason in sorted(reasons.items()):
            console.print(f"  job {job_id}: {reason}", highlight=False)
        return
    colour = "green" if job.state == "succeeded" else "red"
    console.print(
        f"job {job.id} ({job.tenant}, {job.program}) [{colour}]{job.state}[/{colour}]; "
        f"{_job_note(job)}; log: {queue.logs_dir / f'{job.id}.log'}",
        highlight=False,
        soft_wrap=True,
    )
    if job.state != "succeeded":
        raise typer.Exit(1)


@jobs_app.command("cancel")
def jobs_cancel(
    job_id: Annotated[int, typer.Argument(help="Job id, see `sandbox jobs list`")],
) -> None:
    """Cancel a queued job or stop a running one (its tenant or an admin)."""
    job = open_queue(load_settings()).cancel(job_id)
    console.print(f"job {job.id}: {job.state}" + (f" ({job.reason})" if job.reason else ""))


def _job_note(job: Job) -> str:
    if job.state in ("succeeded", "failed", "cancelled") and job.started and job.finished:
        note = f"{job.finished - job.started:.1f} s, {job.gpu_seconds:,.1f} GPU-s"
        return f"{note}; {job.reason}" if job.reason else note
    return job.reason
