"""The ``sandbox serve-model`` command: load an ``embedded`` or ``hf-local`` chat model and serve
it over the OpenAI API on loopback (:mod:`sandbox.models.serve`).

Also runnable as ``python -m sandbox.models.serve_cli``; :func:`model_server_process` starts it
that way as a child process (for tests and benchmarks) and waits until it answers.
"""

from __future__ import annotations

import os
import queue
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

from sandbox.audit import open_audit
from sandbox.errors import ConfigError, PrerequisiteError, SandboxError, UnknownNameError

if TYPE_CHECKING:
    from sandbox.models.transformers_chat import TransformersChatModel

__all__ = [
    "SERVABLE_PROVIDERS",
    "RunningServer",
    "main",
    "model_server_process",
    "serve_model",
]

SERVABLE_PROVIDERS = ("embedded", "hf-local")
DEFAULT_KEY_ENV = "SANDBOX_MODEL_SERVER_KEY"
"""Providers ``serve-model`` can serve (``openai-compatible`` is already a server)."""


def serve_model(
    model: Annotated[
        str, typer.Option("--model", "-m", help="Provider: embedded, or hf-local with --path")
    ] = "embedded",
    path: Annotated[
        Path | None, typer.Option("--path", help="Checkpoint directory (hf-local only)")
    ] = None,
    host: Annotated[
        str, typer.Option(help="Loopback address to listen on: 127.0.0.1, ::1 or localhost")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port; 0 picks a free one")] = 8000,
    api_key_env: Annotated[
        str,
        typer.Option(
            "--api-key-env",
            help="Environment variable holding the bearer key clients must send; when it is "
            "unset a key is generated and written (0600) to <home>/model-server/api.key",
        ),
    ] = DEFAULT_KEY_ENV,
    no_api_key: Annotated[
        bool,
        typer.Option("--no-api-key", help="Serve without a key (any local process may call it)"),
    ] = False,
    embeddings: Annotated[
        bool,
        typer.Option("--embeddings/--no-embeddings", help="Also serve MiniLM at /v1/embeddings"),
    ] = True,
    device: Annotated[
        str, typer.Option(help="auto, cpu or cuda (hf-local and embeddings)")
    ] = "auto",
    model_id: Annotated[
        str | None,
        typer.Option("--model-id", help="Name clients send as model; default: the card's name"),
    ] = None,
) -> None:
    """Serve a chat model over an OpenAI-compatible HTTP API on loopback (Ctrl-C stops)."""
    from sandbox.compute.devices import select_device
    from sandbox.config import load_settings
    from sandbox.models.serve import check_loopback, serve

    check_loopback(host, port)  # before a slow load, not after it
    if model not in SERVABLE_PROVIDERS:
        raise UnknownNameError(
            f"unknown provider '{model}' for serve-model; known: {', '.join(SERVABLE_PROVIDERS)}"
        )
    if model == "hf-local" and path is None:
        raise ConfigError("--model hf-local needs --path DIR (a checkpoint directory)")
    if model == "embedded" and path is not None:
        raise ConfigError("--path is for --model hf-local; the embedded model needs none")
    if model == "embedded" and device == "cuda":
        raise ConfigError(
            "the embedded model runs on the CPU; serve a GPU model with --model hf-local "
            "--path DIR --device cuda"
        )
    resolved_device = select_device(device)  # ConfigError / PrerequisiteError on a bad choice
    settings = load_settings()
    identity = settings.identity
    api_key = None if no_api_key else _api_key(api_key_env, settings.home)

    what = f"{model} chat model" + (" and MiniLM embeddings" if embeddings else "")
    typer.echo(f"loading {what} ...")
    chat = _load_chat_model(model, path, device, settings.resolved_cache_dir)
    embedder = None
    if embeddings:
        from sandbox.models.embeddings import SentenceEmbedder, _load_model

        _load_model(resolved_device)  # fail now, not on the first request, if MiniLM is missing
        cache = str(settings.resolved_cache_dir / "embeddings")
        embedder = SentenceEmbedder(cache_dir=cache, device=resolved_device)
    served_id = model_id or chat.card.name
    serve(
        chat,
        host=host,
        port=port,
        model_id=served_id,
        embedder=embedder,
        api_key=api_key,
        on_ready=lambda url: typer.echo(
            f"serving {served_id} on {url} (OpenAI-compatible; Ctrl-C stops)"
            + ("; no API key" if api_key is None else "")
        ),
        on_call=lambda route, counts: open_audit(settings).append(
            identity, "model_server.call", route, counts
        ),
    )


def _api_key(env_name: str, home: Path) -> str:
    """The key in ``env_name``; for the default variable left unset, a generated key kept in
    ``<home>/model-server/api.key`` (0600), reused on later starts."""
    key = os.environ.get(env_name, "").strip()
    if key:
        return key
    if env_name != DEFAULT_KEY_ENV:
        raise ConfigError(
            f"--api-key-env names {env_name}, which is not set or empty; export the key in "
            f"{env_name}, or leave out --api-key-env to use a generated one"
        )
    path = home / "model-server" / "api.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(32))
        os.replace(tmp, path)
    typer.echo(f"API key (clients send 'Authorization: Bearer <key>'): in {path}")
    return path.read_text(encoding="utf-8").strip()


def _load_chat_model(
    provider: str, path: Path | None, device: str, cache_dir: Path
) -> TransformersChatModel:
    if provider == "embedded":
        from sandbox.models.embedded import EmbeddedChatModel

        return EmbeddedChatModel(cache_dir).load()
    from sandbox.models.hf_local import HFLocalChatModel

    assert path is not None
    return HFLocalChatModel(path, device=device).load()


@dataclass(frozen=True)
class RunningServer:
    """A ``serve-model`` child process that has answered ``GET /health``."""

    base_url: str
    """API root, e.g. ``http://127.0.0.1:41234/v1``."""
    model_id: str
    process: subprocess.Popen[str]


def _forward_lines(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


@contextmanager
def model_server_process(
    *options: str, env: Mapping[str, str] | None = None, start_timeout: float = 180.0
) -> Iterator[RunningServer]:
    """Run ``serve-model`` with ``options`` on a free loopback port until the block ends.

    Args:
        options: Command-line options, e.g. ``("--model", "hf-local", "--path", "/models/x")``;
            ``--port 0`` is added.
        env: Environment of the child (default: this process's), e.g. with SANDBOX_CACHE_DIR.
        start_timeout: Seconds to wait for the model to load and the server to answer.

    Raises:
        PrerequisiteError: The server exited or did not answer in time; the message ends with
            the tail of its stderr.
    """
    import httpx

    command = [sys.executable, "-m", "sandbox.models.serve_cli", *options, "--port", "0"]
    with tempfile.TemporaryFile("w+", encoding="utf-8") as stderr:
        process = subprocess.Popen(
            command,
            env=dict(env) if env is not None else None,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )

        def failed(why: str) -> PrerequisiteError:
            process.kill()
            process.wait()
            stderr.seek(0)
            return PrerequisiteError(
                f"sandbox serve-model {why}; its stderr:\n{stderr.read()[-4000:]}"
            )

        try:
            lines: queue.Queue[str] = queue.Queue()
            assert process.stdout is not None
            threading.Thread(
                target=_forward_lines, args=(process.stdout, lines), daemon=True
            ).start()
            deadline = time.monotonic() + start_timeout
            announced = ""
            while not announced.startswith("serving "):
                if time.monotonic() > deadline:
                    raise failed(f"printed no 'serving' line within {start_timeout:g} s")
                try:
                    announced = lines.get(timeout=0.5)
                except queue.Empty:
                    if process.poll() is not None:
                        raise failed(f"exited with code {process.returncode}") from None
            model_id = announced.split()[1]
            base_url = announced.split(" on ", 1)[1].split()[0]
            health = base_url.removesuffix("/v1") + "/health"
            while True:
                try:
                    if httpx.get(health, timeout=2.0).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    raise failed("never answered GET /health")
                time.sleep(0.2)
            yield RunningServer(base_url=base_url, model_id=model_id, process=process)
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def main() -> None:
    """Run ``serve-model`` as a program: one-line errors, no tracebacks for SandboxErrors."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(serve_model)
    try:
        app(standalone_mode=False)
    except SandboxError as error:
        sys.stderr.write(f"error: {error}\n")
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except Exception as error:  # usage errors of typer's click
        if hasattr(error, "show") and isinstance(getattr(error, "exit_code", None), int):
            error.show()
            sys.exit(error.exit_code)
        raise


if __name__ == "__main__":
    main()
