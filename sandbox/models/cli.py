"""``sandbox models ...``: the model catalogue and a chat through the gateway."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

models_app = typer.Typer(
    help="Model providers: what is usable here, and a chat through the gateway.",
    no_args_is_help=True,
)
console = Console()


@models_app.command("list")
def list_models(
    probe: Annotated[
        bool, typer.Option(help="Probe openai-compatible endpoints (GET /models, 2 s timeout)")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Each provider and catalogue model, and whether it is usable here (with the reason)."""
    from dataclasses import asdict

    from sandbox.config import load_settings
    from sandbox.models.catalog import catalog_path, model_statuses

    settings = load_settings()
    rows = model_statuses(settings, probe_endpoints=probe)
    if as_json:
        sys.stdout.write(json.dumps([asdict(r) for r in rows], indent=2) + "\n")
        return
    table = Table(title=f"Models (catalogue: {catalog_path(settings)})")
    for column in ("name", "provider", "where", "usable", "reason"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row.name + (" (default)" if row.default else ""),
            row.provider,
            row.where,
            "[green]yes[/green]" if row.usable else "[red]no[/red]",
            row.reason,
        )
    console.print(table)


@models_app.command("chat")
def chat(
    prompt: Annotated[str, typer.Argument(help="The user message ('-' reads stdin)")],
    model: Annotated[
        str | None, typer.Option(help="Catalogue model (default: the default)")
    ] = None,
    system: Annotated[str | None, typer.Option(help="System prompt")] = None,
    max_new_tokens: Annotated[int, typer.Option(min=1, max=4096)] = 128,
    temperature: Annotated[float, typer.Option(min=0.0, max=2.0)] = 0.0,
    seed: Annotated[int, typer.Option(min=0)] = 0,
    deterministic: Annotated[
        bool, typer.Option(help="Greedy decoding and a fixed seed (evaluation mode)")
    ] = False,
    show_sent: Annotated[
        bool, typer.Option(help="Also print the prompt as the model received it")
    ] = True,
) -> None:
    """One chat turn through the gateway: pseudonymised in and out, audited, quota-checked.

    The answer shows personal data again only to roles that may re-identify (compliance officer,
    admin); everyone else sees the pseudonyms.
    """
    from sandbox.config import load_settings
    from sandbox.models.base import GenerationConfig
    from sandbox.models.gateway import Gateway, GatewayPolicy

    text = sys.stdin.read() if prompt == "-" else prompt
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": text}
    ]
    gateway = Gateway(
        load_settings(), model, policy=GatewayPolicy(deterministic=deterministic, seed=seed)
    )
    with console.status(f"asking {gateway.model_name} ..."):
        reply = gateway.chat(
            messages,
            GenerationConfig(max_new_tokens=max_new_tokens, temperature=temperature, seed=seed),
        )
    if show_sent:
        console.print("[dim]model received:[/dim]", reply.sent[-1]["content"], highlight=False)
    console.print(reply.text, highlight=False, soft_wrap=True)
    console.print(
        f"[dim]{reply.model} · {reply.prompt_tokens} + {reply.completion_tokens} tokens · "
        f"{reply.latency_s:.1f} s · pseudonyms kept (re-identify through the vault)[/dim]",
        highlight=False,
    )
