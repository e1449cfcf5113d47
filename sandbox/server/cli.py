"""``sandbox server``, ``sandbox admin`` and ``sandbox whoami``: run the server, create banks and
their users, and ask the server who you are."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sandbox.config import load_settings
from sandbox.errors import ConfigError
from sandbox.server import process
from sandbox.server.client import ControlPlane

console = Console()

server_app = typer.Typer(
    help="Run the sandbox server (MLflow with basic-auth, a workspace per bank, control plane).",
    no_args_is_help=True,
)
admin_app = typer.Typer(
    help="Create banks (tenants) and their users (admin only).", no_args_is_help=True
)
tenant_app = typer.Typer(help="Banks: each has its own MLflow workspace.", no_args_is_help=True)
user_app = typer.Typer(help="Users, each bound to one bank and one role.", no_args_is_help=True)
admin_app.add_typer(tenant_app, name="tenant")
config_app = typer.Typer(
    help="Quotas and the model catalogue/allowlist every client uses.", no_args_is_help=True
)
admin_app.add_typer(user_app, name="user")
admin_app.add_typer(config_app, name="config")

Port = Annotated[int, typer.Option("--port", help="Loopback port")]


@server_app.command("start")
def start(
    port: Port = process.DEFAULT_PORT,
    backend_store_uri: Annotated[
        str | None,
        typer.Option(
            "--backend-store-uri",
            help="postgresql://... for PostgreSQL; default SQLite under <home>/server/",
        ),
    ] = None,
    foreground: Annotated[
        bool, typer.Option("--foreground", help="Stay attached (logs to the terminal)")
    ] = False,
) -> None:
    """Start the server on 127.0.0.1 and return once it answers (first start: set
    SANDBOX_ADMIN_PASSWORD, it becomes the password of the user 'admin')."""
    settings = load_settings()
    with console.status("Starting the sandbox server..."):
        url = process.start(
            settings, port=port, backend_store_uri=backend_store_uri, foreground=foreground
        )
    console.print(f"sandbox server answering at {url} (log: {process.server_paths(settings).log})")
    console.print(f"  export MLFLOW_TRACKING_URI={url}")


@server_app.command("demo-signin")
def demo_signin(
    role: Annotated[
        str,
        typer.Option("--role", help="The demo user's role (data_scientist, validator, ...)"),
    ] = "data_scientist",
    show: Annotated[bool, typer.Option("--show", help="List the demo users instead")] = False,
) -> None:
    """Print the shell exports that sign in as a demo-bank user of this home's loopback server
    (started and set up if needed): eval "$(sandbox server demo-signin --role validator)"."""
    import shlex

    from sandbox.server.demo import DEMO_USERS, demo_server

    if role not in DEMO_USERS:
        raise ConfigError(f"unknown role '{role}'; choose one of {', '.join(DEMO_USERS)}")
    server = demo_server(load_settings())
    if show:
        for name, (user, password) in server.users.items():
            typer.echo(f"{name}\t{user}\t{password}")
        return
    for key, value in server.environment(role).items():
        typer.echo(f"export {key}={shlex.quote(value)}")


@server_app.command("stop")
def stop() -> None:
    """Stop the server started from this sandbox home."""
    stopped = process.stop(load_settings())
    console.print("server stopped" if stopped else "no server was running from this home")


@server_app.command("status")
def status(port: Port = process.DEFAULT_PORT) -> None:
    """Whether the server answers, its pid and where its files are (JSON)."""
    info = process.status(load_settings(), port=port)
    console.print_json(json.dumps(info))
    if not info["answering"]:
        raise typer.Exit(1)


@server_app.command("backup")
def backup_command(
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Archive (default sandbox-server-TIME.tar.gz)"),
    ] = None,
) -> None:
    """Back up the server's stores (databases, audit log, keys, artifacts) into one archive,
    consistently, while the server runs; the archive holds keys: keep it like them."""
    from datetime import UTC, datetime

    from sandbox.server.backup import backup

    target = out or Path(f"sandbox-server-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.tar.gz")
    with console.status("Backing up the server's stores..."):
        manifest = backup(load_settings(), target)
    console.print(f"backup written: {target} ({len(manifest['files'])} files, mode 0600)")


@server_app.command("restore")
def restore_command(
    archive: Annotated[Path, typer.Argument(help="Archive from `sandbox server backup`")],
    force: Annotated[bool, typer.Option("--force", help="Replace existing stores")] = False,
) -> None:
    """Restore the server's stores from a backup (server stopped); checks every file's sha256
    and verifies the restored audit log."""
    from sandbox.server.backup import restore

    with console.status("Restoring the server's stores..."):
        manifest = restore(load_settings(), archive, force=force)
    console.print(
        f"restored {len(manifest['files'])} files from {archive} (backup of "
        f"{manifest['created_at']}); audit log verified. Start it: `sandbox server start`"
    )


@config_app.command("show")
def config_show(
    name: Annotated[str, typer.Argument(help="quotas or models (catalogue and allowlist)")],
) -> None:
    """Print the configuration every client of the server uses."""
    text = ControlPlane().get_config(name)
    sys.stdout.write(text if text is not None else f"# {name}: not set, built-in defaults\n")


@config_app.command("set")
def config_set(
    name: Annotated[str, typer.Argument(help="quotas or models (catalogue and allowlist)")],
    file: Annotated[Path, typer.Argument(help="YAML file")],
) -> None:
    """Replace a configuration on the server (admin; validated, audited in every bank)."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {file}: {exc.strerror}") from None
    result = ControlPlane().set_config(name, text)
    console.print(f"{name} set on the server (sha256 {result['sha256'][:16]}…)")


@tenant_app.command("create")
def tenant_create(
    name: Annotated[str, typer.Argument(help="Bank slug, e.g. harbour-bank")],
) -> None:
    """Create a bank: its MLflow workspace and its roles."""
    result = ControlPlane().create_tenant(name)
    console.print(f"tenant '{result['tenant']}' created with roles {', '.join(result['roles'])}")


@tenant_app.command("list")
def tenant_list() -> None:
    """Banks and their members."""
    table = Table("tenant", "user", "role")
    for tenant in ControlPlane().list_tenants():
        members = tenant["members"] or [{"user": "-", "role": "-"}]
        for member in members:
            table.add_row(tenant["name"], member["user"], member["role"])
    console.print(table)


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="User name (their MLflow user)")],
    tenant: Annotated[str, typer.Option("--tenant", help="The bank they belong to")],
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="data_scientist, validator, compliance_officer or hkma_reviewer",
        ),
    ],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Create a user in one bank with one role (the password never appears in arguments)."""
    if not password_stdin:
        raise ConfigError("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\n")
    if len(password) < 12:
        raise ConfigError("the password must be at least 12 characters")
    result = ControlPlane().create_user(name, password, tenant, role)
    console.print(f"user '{result['user']}' added to '{result['tenant']}' as {result['role']}")


@user_app.command("grant-reviewer")
def user_grant_reviewer(
    name: Annotated[str, typer.Argument(help="An hkma_reviewer user")],
    tenant: Annotated[str, typer.Option("--tenant", help="Another bank they may read")],
) -> None:
    """Let an HKMA reviewer read one more bank (read-only)."""
    result = ControlPlane().grant_reviewer(name, tenant)
    console.print(f"'{result['user']}' reads {', '.join(result['tenants'])}")


def whoami() -> None:
    """Who the server says you are (from MLFLOW_TRACKING_USERNAME / _PASSWORD)."""
    me = ControlPlane().whoami()
    tenants = f" (reads {', '.join(me.tenants)})" if len(me.tenants) > 1 else ""
    console.print(f"{me.user}: {me.role} of {me.tenant or 'every bank'}{tenants}")
