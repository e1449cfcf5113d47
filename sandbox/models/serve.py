"""An OpenAI-compatible HTTP API over any :class:`~sandbox.models.base.ChatModel`, on loopback only.

It serves the subset of the OpenAI API that vLLM serves and the sandbox uses (``GET /v1/models``,
``POST /v1/chat/completions``, ``POST /v1/embeddings``, ``GET /health``), so that the
``openai-compatible`` provider is tested against a real server rather than a mock. Production
serving is vLLM behind the model gateway's allowlist; this server refuses any non-loopback address.

Differences from vLLM, each answered with a clear 400 rather than silently ignored: no streaming,
``n`` must be 1, no tools or penalties, and ``logprobs`` only with greedy decoding
(``temperature=0``), reporting the first generated token. A request without ``max_tokens``
generates at most :data:`DEFAULT_MAX_TOKENS` tokens. Request bodies are never logged; the access
log holds method, path, status and duration.
"""

from __future__ import annotations

import base64
import hmac
import logging
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from sandbox.errors import AccessDenied, ConfigError, PrerequisiteError, SandboxError
from sandbox.models.base import ChatModel, GenerationConfig, GenerationResult, check_messages

if TYPE_CHECKING:
    from sandbox.models.embeddings import SentenceEmbedder

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "EMBEDDING_DIMENSIONS",
    "LOOPBACK_HOSTS",
    "MAX_TOP_LOGPROBS",
    "check_loopback",
    "create_app",
    "serve",
]

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
"""The only addresses :func:`serve` listens on."""
MAX_TOP_LOGPROBS = 20
"""Most ``top_logprobs`` a request may ask for (as OpenAI and vLLM by default)."""
DEFAULT_MAX_TOKENS = GenerationConfig().max_new_tokens
"""Tokens generated when a request gives neither ``max_tokens`` nor ``max_completion_tokens``."""
EMBEDDING_DIMENSIONS = 384
"""Width of the MiniLM vectors ``/v1/embeddings`` returns."""

logger = logging.getLogger(__name__)


# -- OpenAI-shaped errors ----------------------------------------------------------------------
class _APIError(Exception):
    """An error answered in OpenAI's JSON shape: ``{"error": {"message", "type", "code"}}``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.code = code
        self.param = param

    def response(self) -> JSONResponse:
        body = {"message": self.message, "type": self.type, "param": self.param, "code": self.code}
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse({"error": body}, status_code=self.status, headers=headers)


def _bad_request(message: str, param: str | None = None) -> _APIError:
    return _APIError(400, message, code="bad_request", param=param)


def _describe(error: ValidationError | RequestValidationError) -> str:
    parts = []
    for item in error.errors():
        if item.get("type") == "json_invalid":
            return "invalid request: the body is not valid JSON"
        location = [str(p) for p in item.get("loc", ()) if p != "body"]
        key = ".".join(location) or "(body)"
        message = "unknown parameter" if item.get("type") == "extra_forbidden" else item["msg"]
        parts.append(f"'{key}': {message}")
    return "invalid request: " + "; ".join(parts)


# -- request bodies ----------------------------------------------------------------------------
class _ContentPart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str
    text: str | None = None


class _ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str
    content: str | list[_ContentPart] | None = None
    name: str | None = None

    def as_message(self, index: int) -> dict[str, str]:
        if self.content is None:
            raise _bad_request(f"messages[{index}] has no content", param="messages")
        if isinstance(self.content, str):
            text = self.content
        else:
            if any(part.type != "text" or part.text is None for part in self.content):
                raise _bad_request(
                    f"messages[{index}]: only text content parts are supported", param="messages"
                )
            text = "".join(part.text or "" for part in self.content)
        role = "system" if self.role == "developer" else self.role  # OpenAI's newer name for it
        return {"role": role, "content": text}


class _ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str
    messages: list[_ChatMessageIn]
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
    stop: str | list[str] | None = None
    n: int = 1
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    logprobs: bool = False
    top_logprobs: int | None = Field(default=None, ge=0, le=MAX_TOP_LOGPROBS)
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    user: str | None = None

    def generation_config(self) -> GenerationConfig:
        if self.stream:
            raise _bad_request(
                "stream=true is not supported by the sandbox model server; send stream=false "
                "(vLLM supports streaming in production)",
                param="stream",
            )
        if self.n != 1:
            raise _bad_request("n must be 1: the sandbox model server returns one choice", "n")
        if self.top_p not in (None, 1.0):
            raise _bad_request("top_p must be 1 (nucleus sampling is not supported)", "top_p")
        for name in ("presence_penalty", "frequency_penalty"):
            if getattr(self, name) not in (None, 0.0):
                raise _bad_request(f"{name} must be 0 (penalties are not supported)", name)
        if (
            self.max_tokens is not None
            and self.max_completion_tokens is not None
            and self.max_tokens != self.max_completion_tokens
        ):
            raise _bad_request("max_tokens and max_completion_tokens differ; send one of them")
        stop = [self.stop] if isinstance(self.stop, str) else self.stop
        if stop is not None and any(not item for item in stop):
            raise _bad_request("stop strings must be non-empty", param="stop")
        temperature = 1.0 if self.temperature is None else self.temperature  # OpenAI's default
        if self.top_logprobs is not None and not self.logprobs:
            raise _bad_request("top_logprobs needs logprobs=true", param="top_logprobs")
        if self.logprobs and temperature > 0:
            raise _bad_request(
                "logprobs are served for greedy decoding only; send temperature=0",
                param="logprobs",
            )
        try:
            return GenerationConfig(
                max_new_tokens=self.max_completion_tokens or self.max_tokens or DEFAULT_MAX_TOKENS,
                temperature=temperature,
                seed=self.seed or 0,
                stop=stop or None,
            )
        except ValidationError as error:
            raise _bad_request(_describe(error)) from None


class _EmbeddingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str
    input: str | list[str]
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = None
    user: str | None = None


# -- responses ---------------------------------------------------------------------------------
def _token_entry(token: str, logprob: float) -> dict[str, Any]:
    return {"token": token, "logprob": logprob, "bytes": list(token.encode("utf-8"))}


def _chat_completion(
    model_id: str,
    result: GenerationResult,
    config: GenerationConfig,
    top: list[tuple[str, float]] | None,
    top_n: int,
) -> dict[str, Any]:
    logprobs = None
    if top is not None:
        first = _token_entry(*top[0])
        first["top_logprobs"] = [_token_entry(token, value) for token, value in top[:top_n]]
        logprobs = {"content": [first], "refusal": None}
    finish = "length" if result.completion_tokens >= config.max_new_tokens else "stop"
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model_id,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": result.text},
                "logprobs": logprobs,
                "finish_reason": finish,
            }
        ],
        "usage": {
            "prompt_tokens": result.prompt_tokens,
            "completion_tokens": result.completion_tokens,
            "total_tokens": result.prompt_tokens + result.completion_tokens,
        },
    }


# -- the app -----------------------------------------------------------------------------------
def create_app(
    model: ChatModel,
    *,
    model_id: str,
    embedder: SentenceEmbedder | None = None,
    api_key: str | None = None,
    on_call: Callable[[str, dict[str, Any]], None] | None = None,
) -> FastAPI:
    """Build the OpenAI-compatible app serving ``model`` as ``model_id``.

    Args:
        model: Any ChatModel; its card is read once here and listed as ``sandbox_card``.
        model_id: The name clients send as ``model`` (vLLM's ``--served-model-name``).
        embedder: MiniLM embedder for ``/v1/embeddings`` (model id ``all-MiniLM-L6-v2``);
            ``None`` answers that endpoint with 404.
        api_key: When set, ``/v1`` routes need ``Authorization: Bearer <api_key>``; ``/health``
            never does.
        on_call: Called after each answered chat or embedding call with the route and its
            counts (model, messages, tokens; never the text), e.g. to append an audit entry.

    Returns:
        A FastAPI app; model calls run one at a time in a worker thread.
    """
    from sandbox.models.embeddings import MINILM_ID

    card = model.card.model_dump()
    started = int(time.time())
    model_lock = threading.Lock()
    embed_lock = threading.Lock()
    app = FastAPI(title="sandbox model server (OpenAI-compatible)", docs_url=None, redoc_url=None)

    def check_key(request: Request) -> None:
        if api_key is None:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given:
            raise _APIError(
                401,
                "missing API key: send the header 'Authorization: Bearer <key>'",
                code="invalid_api_key",
            )
        if not hmac.compare_digest(given.strip().encode(), api_key.encode()):
            raise _APIError(401, "incorrect API key provided", code="invalid_api_key")

    def model_objects() -> list[dict[str, Any]]:
        objects = [
            {
                "id": model_id,
                "object": "model",
                "created": started,
                "owned_by": "sandbox",
                "root": model_id,
                "parent": None,
                "sandbox_card": card,
            }
        ]
        if embedder is not None:
            objects.append(
                {"id": MINILM_ID, "object": "model", "created": started, "owned_by": "sandbox"}
            )
        return objects

    def not_found(name: str) -> _APIError:
        served = ", ".join(item["id"] for item in model_objects())
        message = f"the model '{name}' does not exist; this server serves {served}"
        return _APIError(404, message, type_="NotFoundError", code="model_not_found", param="model")

    def require_model(name: str, kind: Literal["chat", "embedding"]) -> None:
        if kind == "embedding" and embedder is None:
            raise _APIError(
                404,
                "this server serves no embedding model; start `sandbox serve-model` with "
                f"--embeddings to serve {MINILM_ID}",
                type_="NotFoundError",
                code="model_not_found",
                param="model",
            )
        if name != (model_id if kind == "chat" else MINILM_ID):
            raise not_found(name)

    @app.exception_handler(_APIError)
    async def _api_error(request: Request, error: _APIError) -> JSONResponse:
        return error.response()

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        return _bad_request(_describe(error)).response()

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        message = f"{request.method} {request.url.path}: {error.detail}"
        return _APIError(error.status_code, message, type_="NotFoundError").response()

    @app.exception_handler(SandboxError)
    async def _sandbox_error(request: Request, error: SandboxError) -> JSONResponse:
        if isinstance(error, ConfigError):
            return _bad_request(str(error)).response()
        if isinstance(error, AccessDenied):
            return _APIError(403, str(error), type_="permission_error").response()
        status = 503 if isinstance(error, PrerequisiteError) else 500
        return _APIError(status, str(error), type_="server_error").response()

    @app.middleware("http")
    async def _access_log(request: Request, call_next: Callable[..., Any]) -> Any:
        start = time.perf_counter()
        try:
            response = await call_next(request)
        except Exception as error:  # a bug: answer 500 here so that nothing logs its message
            # the type and stack only: an exception's message may quote the request (PII)
            frames = "".join(traceback.format_tb(error.__traceback__))
            logger.error("%s on %s\n%s", type(error).__name__, request.url.path, frames)
            message = f"internal error ({type(error).__name__}); see the server's log"
            response = _APIError(500, message, type_="server_error").response()
        elapsed_ms = (time.perf_counter() - start) * 1000
        logger.info(
            "%s %s %d %.0f ms", request.method, request.url.path, response.status_code, elapsed_ms
        )
        return response

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok", "model": model_id}

    @app.get("/v1/models", dependencies=[Depends(check_key)])
    async def list_models() -> dict[str, Any]:
        return {"object": "list", "data": model_objects()}

    @app.get("/v1/models/{name:path}", dependencies=[Depends(check_key)])
    async def get_model(name: str) -> dict[str, Any]:
        for item in model_objects():
            if item["id"] == name:
                return item
        raise not_found(name)

    @app.post("/v1/chat/completions", dependencies=[Depends(check_key)])
    async def chat_completions(body: _ChatCompletionRequest) -> dict[str, Any]:
        require_model(body.model, "chat")
        config = body.generation_config()
        messages = [message.as_message(i) for i, message in enumerate(body.messages)]
        check_messages(messages)  # ConfigError -> 400 with the reason
        top_n = body.top_logprobs or 0

        def run() -> tuple[GenerationResult, list[tuple[str, float]] | None]:
            with model_lock:
                result = model.generate(messages, config)
                top = model.top_logprobs(messages, max(top_n, 1)) if body.logprobs else None
            return result, top

        result, top = await run_in_threadpool(run)
        if on_call is not None:
            on_call(
                "chat.completions",
                {
                    "model": model_id,
                    "messages": len(messages),
                    "prompt_tokens": result.prompt_tokens,
                    "completion_tokens": result.completion_tokens,
                },
            )
        return _chat_completion(model_id, result, config, top, top_n)

    @app.post("/v1/embeddings", dependencies=[Depends(check_key)])
    async def embeddings(body: _EmbeddingRequest) -> dict[str, Any]:
        require_model(body.model, "embedding")
        assert embedder is not None  # require_model answered 404 otherwise
        texts = [body.input] if isinstance(body.input, str) else list(body.input)
        if not texts:
            raise _bad_request("input is empty; give a string or a list of strings", "input")
        if body.dimensions not in (None, EMBEDDING_DIMENSIONS):
            raise _bad_request(
                f"dimensions must be {EMBEDDING_DIMENSIONS} for {MINILM_ID}", param="dimensions"
            )

        def run() -> tuple[Any, int]:
            from sandbox.models.embeddings import _load_model

            with embed_lock:
                vectors = embedder.transform(texts)
                tokenizer = _load_model(embedder.device).tokenizer
                tokens = sum(len(ids) for ids in tokenizer(texts)["input_ids"])
            return vectors, tokens

        vectors, tokens = await run_in_threadpool(run)
        if on_call is not None:
            on_call("embeddings", {"model": MINILM_ID, "texts": len(texts), "tokens": tokens})
        data = []
        for index, vector in enumerate(vectors):
            if body.encoding_format == "base64":
                encoded: Any = base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")
            else:
                encoded = [float(x) for x in vector]
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return {"object": "list", "data": data, "model": MINILM_ID, "usage": usage}

    return app


# -- running it --------------------------------------------------------------------------------
def _log_config() -> dict[str, Any]:
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    handler = {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": fmt}},
        "handlers": {"stderr": handler},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            __name__: {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
    }


def check_loopback(host: str, port: int) -> None:
    """Raise unless ``host`` is a loopback address and ``port`` a TCP port number.

    Raises:
        AccessDenied: ``host`` is not ``127.0.0.1``, ``::1`` or ``localhost``.
        ConfigError: ``port`` is outside 0..65535.
    """
    if host not in LOOPBACK_HOSTS:
        raise AccessDenied(
            f"refusing to serve on {host!r}: the sandbox serves models on loopback only "
            f"({', '.join(LOOPBACK_HOSTS)}); production serving is vLLM behind the model "
            "gateway's allowlist"
        )
    if not 0 <= port <= 65535:
        raise ConfigError(f"port must be between 0 and 65535; got {port}")


def _bind_loopback(host: str, port: int) -> socket.socket:
    check_loopback(host, port)
    family = socket.AF_INET6 if host == "::1" else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as error:
        sock.close()
        raise PrerequisiteError(
            f"cannot listen on {host} port {port} ({error.strerror}); another process may hold "
            "the port: stop it or choose another with --port"
        ) from None
    return sock


def serve(
    model: ChatModel,
    *,
    host: str,
    port: int,
    model_id: str,
    embedder: SentenceEmbedder | None = None,
    api_key: str | None = None,
    on_ready: Callable[[str], None] | None = None,
    on_call: Callable[[str, dict[str, Any]], None] | None = None,
) -> None:
    """Serve ``model`` over the OpenAI API on a loopback address until interrupted.

    Args:
        model: The model to serve (load it first, so the first request is not slow).
        host: ``127.0.0.1``, ``::1`` or ``localhost``; nothing else.
        port: TCP port; 0 picks a free one (``on_ready`` gets the actual URL).
        model_id: The name clients send as ``model``.
        embedder: MiniLM embedder for ``/v1/embeddings``, or ``None``.
        api_key: Bearer key the ``/v1`` routes require, or ``None`` for none.
        on_ready: Called with the base URL (``http://127.0.0.1:PORT/v1``) once the port is
            bound; requests arriving from then on are answered.
        on_call: See :func:`create_app`.

    Raises:
        AccessDenied: ``host`` is not a loopback address.
        PrerequisiteError: The port cannot be bound.
    """
    import uvicorn

    sock = _bind_loopback(host, port)
    app = create_app(model, model_id=model_id, embedder=embedder, api_key=api_key, on_call=on_call)
    config = uvicorn.Config(app, log_config=_log_config(), access_log=False, log_level="info")
    bound_port = sock.getsockname()[1]
    url_host = f"[{host}]" if ":" in host else host
    if on_ready is not None:
        on_ready(f"http://{url_host}:{bound_port}/v1")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
