"""The ``openai-compatible`` chat-model provider: any OpenAI-compatible server (vLLM on the centre's
GPUs, or ``sandbox serve-model`` on loopback) by base URL, through LangChain's OpenAI integration;
and :class:`OpenAICompatibleEmbeddings` for the same servers' ``/v1/embeddings``.

Server failures become SandboxErrors a person can act on: an unreachable server is a
PrerequisiteError naming the URL and how to start one, HTTP 401/403 is AccessDenied, 400 a
ConfigError carrying the server's message, 404 an UnknownNameError, 429 QuotaExceeded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sandbox.errors import (
    AccessDenied,
    ConfigError,
    PrerequisiteError,
    QuotaExceeded,
    SandboxError,
    UnknownNameError,
)
from sandbox.models.base import (
    TOP_LOGPROBS,
    GenerationConfig,
    GenerationResult,
    Message,
    ModelCard,
    check_labels,
    check_messages,
    label_distribution,
)

if TYPE_CHECKING:
    import numpy as np
    from langchain_core.messages import BaseMessage
    from langchain_openai import ChatOpenAI, OpenAIEmbeddings

__all__ = [
    "CARD_OVERRIDE_FIELDS",
    "NO_API_KEY",
    "UNREPORTED",
    "OpenAICompatibleChatModel",
    "OpenAICompatibleEmbeddings",
]

NO_API_KEY = "EMPTY"
"""What is sent as the bearer key when none is configured (vLLM's convention)."""
UNREPORTED = "unknown (not reported by the server)"
"""A card field that neither the server nor the configuration gives."""
CARD_OVERRIDE_FIELDS = ("name", "version", "weights_sha256", "licence", "base_model")
"""Card fields the configuration may give for a server that reports no ``sandbox_card``."""

_START_HINT = "start the server (`sandbox serve-model`, or vLLM) or correct base_url"


def _server_message(error: Any) -> str:
    body = getattr(error, "body", None)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return str(getattr(error, "message", None) or error)


@contextmanager
def _server_errors(base_url: str, timeout: float) -> Iterator[None]:
    """Translate the openai client's exceptions into SandboxErrors that name ``base_url``."""
    import openai

    try:
        yield
    except openai.APITimeoutError:
        raise PrerequisiteError(
            f"the model server at {base_url} did not answer within {timeout:g} s; check that it "
            f"is running and not overloaded, or raise the timeout ({_START_HINT})"
        ) from None
    except openai.APIConnectionError:
        raise PrerequisiteError(
            f"cannot connect to the model server at {base_url}; {_START_HINT}"
        ) from None
    except (openai.AuthenticationError, openai.PermissionDeniedError) as error:
        raise AccessDenied(
            f"the model server at {base_url} refused the request (HTTP {error.status_code}: "
            f"{_server_message(error)}); configure the API key it expects"
        ) from None
    except openai.BadRequestError as error:
        raise ConfigError(
            f"the model server at {base_url} rejected the request: {_server_message(error)}"
        ) from None
    except openai.NotFoundError as error:
        raise UnknownNameError(
            f"the model server at {base_url} answered 404: {_server_message(error)}"
        ) from None
    except openai.RateLimitError as error:
        raise QuotaExceeded(
            f"the model server at {base_url} is rate-limiting this client (HTTP 429: "
            f"{_server_message(error)}); wait and retry, or ask its operator for more capacity",
            resource="requests",
        ) from None
    except openai.APIStatusError as error:
        if 300 <= error.status_code < 400:
            raise AccessDenied(
                f"the model server at {base_url} redirected the request (HTTP "
                f"{error.status_code}); the sandbox never follows redirects, which could lead off "
                "the allowlisted endpoints: configure the server's final URL"
            ) from None
        raise SandboxError(
            f"the model server at {base_url} failed (HTTP {error.status_code}: "
            f"{_server_message(error)}); see the server's log"
        ) from None


def _no_redirect_client(timeout: float) -> Any:
    """An httpx client that never follows redirects (the openai SDK's default client does, which
    would let an allowlisted endpoint send requests, and the prompts in them, anywhere)."""
    import httpx

    return httpx.Client(follow_redirects=False, timeout=timeout)


def _check_connection_settings(base_url: str, timeout: float, max_retries: int) -> str:
    url = base_url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(
            f"base_url must start with http:// or https:// (e.g. http://127.0.0.1:8000/v1); "
            f"got {base_url!r}"
        )
    if timeout <= 0:
        raise ConfigError(f"timeout must be a positive number of seconds; got {timeout}")
    if max_retries < 0:
        raise ConfigError(f"max_retries must be 0 or more; got {max_retries}")
    return url


class OpenAICompatibleChatModel:
    """A chat model behind an OpenAI-compatible server, implementing
    :class:`~sandbox.models.base.ChatModel` through :class:`langchain_openai.ChatOpenAI`.

    Nothing is sent until the first call. The card comes from the server's ``GET /models``
    (``sandbox serve-model`` adds the served model's card as ``sandbox_card``); for a server that
    reports no card (vLLM), ``card_overrides`` from the configuration fill it in, and fields
    neither gives read :data:`UNREPORTED`.

    Args:
        base_url: The server's API root, e.g. ``http://127.0.0.1:8000/v1``.
        model: The model name the server serves (vLLM's ``--served-model-name``).
        api_key: Bearer key; ``None`` sends :data:`NO_API_KEY` (for servers that want none).
        timeout: Seconds to wait for each HTTP request.
        max_retries: Retries on connection errors, 429 and 5xx (the openai client's backoff).
        card_overrides: Card fields (:data:`CARD_OVERRIDE_FIELDS`) for a server that reports no
            card; where the server does report one, a differing value is a ConfigError.

    Raises:
        ConfigError: A malformed base URL, timeout, retry count or override.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 2,
        card_overrides: dict[str, str] | None = None,
    ) -> None:
        from langchain_openai import ChatOpenAI

        self.base_url = _check_connection_settings(base_url, timeout, max_retries)
        if not model.strip():
            raise ConfigError("model must name the served model (see GET <base_url>/models)")
        overrides = dict(card_overrides or {})
        unknown = sorted(set(overrides) - set(CARD_OVERRIDE_FIELDS))
        if unknown:
            raise ConfigError(
                f"unknown card override(s) {', '.join(unknown)}; known: "
                f"{', '.join(CARD_OVERRIDE_FIELDS)}"
            )
        if any(not isinstance(value, str) or not value.strip() for value in overrides.values()):
            raise ConfigError(f"card overrides must be non-empty strings; got {overrides}")
        self.model = model
        self.timeout = timeout
        self._api_key = api_key
        self._overrides = overrides
        self._card: ModelCard | None = None
        self._card_lock = threading.Lock()
        self._chat: ChatOpenAI = ChatOpenAI(
            model=model,
            base_url=self.base_url,
            api_key=api_key or NO_API_KEY,
            timeout=timeout,
            max_retries=max_retries,
            use_responses_api=False,
            http_client=_no_redirect_client(timeout),
        )

    @property
    def langchain_chat_model(self) -> ChatOpenAI:
        """The underlying LangChain chat model, for chains that want one."""
        return self._chat

    # -- card -----------------------------------------------------------------------------------
    @property
    def card(self) -> ModelCard:
        """What the server says it serves, completed by the configured overrides.

        Raises:
            PrerequisiteError: The server cannot be reached.
            AccessDenied: The server refused the API key.
            UnknownNameError: The server does not serve ``model``.
            ConfigError: An override contradicts the card the server reports.
        """
        with self._card_lock:
            if self._card is None:
                self._card = self._build_card(self._served_model())
            return self._card

    def _served_model(self) -> dict[str, Any]:
        import httpx

        url = f"{self.base_url}/models"
        headers = {"Authorization": f"Bearer {self._api_key or NO_API_KEY}"}
        try:
            response = httpx.get(url, headers=headers, timeout=self.timeout, follow_redirects=False)
        except httpx.TimeoutException:
            raise PrerequisiteError(
                f"the model server at {self.base_url} did not answer within {self.timeout:g} s; "
                f"{_START_HINT}"
            ) from None
        except httpx.TransportError:
            raise PrerequisiteError(
                f"cannot connect to the model server at {self.base_url}; {_START_HINT}"
            ) from None
        if response.status_code in (401, 403):
            raise AccessDenied(
                f"the model server at {self.base_url} refused to list its models (HTTP "
                f"{response.status_code}); configure the API key it expects"
            )
        if response.status_code != 200:
            raise SandboxError(
                f"GET {url} answered HTTP {response.status_code}; is {self.base_url} the API root "
                "of an OpenAI-compatible server (it usually ends in /v1)?"
            )
        try:
            served = [item for item in response.json()["data"] if isinstance(item, dict)]
        except (ValueError, KeyError, TypeError):
            raise SandboxError(f"GET {url} did not return an OpenAI model list") from None
        for item in served:
            if item.get("id") == self.model:
                return item
        names = ", ".join(str(item.get("id")) for item in served) or "none"
        raise UnknownNameError(
            f"the model server at {self.base_url} does not serve '{self.model}'; it serves: {names}"
        )

    def _build_card(self, served: dict[str, Any]) -> ModelCard:
        from pydantic import ValidationError

        fields = {
            "name": self.model,
            "version": UNREPORTED,
            "weights_sha256": UNREPORTED,
            "licence": UNREPORTED,
            "base_model": "",
        }
        source = f"OpenAI-compatible server {self.base_url}, served model '{self.model}'"
        reported = served.get("sandbox_card")
        if reported is not None:
            try:
                server_card = ModelCard.model_validate(reported)
            except ValidationError as error:
                raise SandboxError(
                    f"the model server at {self.base_url} reports a malformed sandbox_card "
                    f"({error.error_count()} problem(s)); upgrade or fix the server"
                ) from None
            fields.update(server_card.model_dump(include=set(CARD_OVERRIDE_FIELDS)))
            source += f"; the server runs {server_card.source} [provider: {server_card.provider}]"
            for key, value in self._overrides.items():
                if fields[key] != value:
                    raise ConfigError(
                        f"card override {key}={value!r} contradicts the server's card "
                        f"({fields[key]!r}) for '{self.model}' at {self.base_url}; remove the "
                        "override or point base_url at the intended server"
                    )
        else:
            fields.update(self._overrides)
        return ModelCard(provider="openai-compatible", source=source, **fields)

    # -- ChatModel ------------------------------------------------------------------------------
    def generate(
        self, messages: list[Message], config: GenerationConfig | None = None
    ) -> GenerationResult:
        """Answer a chat conversation through the server (greedy unless temperature > 0).

        Returns:
            The answer (the server cuts it before a stop string) with the server's token counts.

        Raises:
            ConfigError: The server rejected the request (bad messages, too long a prompt).
            PrerequisiteError: The server cannot be reached.
        """
        config = config or GenerationConfig()
        options: dict[str, Any] = {
            "max_tokens": config.max_new_tokens,
            "temperature": config.temperature,
            "seed": config.seed,
        }
        chat_input = _to_langchain(messages)
        start = time.perf_counter()
        with _server_errors(self.base_url, self.timeout):
            response = self._chat.invoke(chat_input, stop=config.stop or None, **options)
        seconds = time.perf_counter() - start
        usage = response.usage_metadata
        if usage is None:
            raise PrerequisiteError(
                f"the model server at {self.base_url} reported no token usage; the sandbox needs "
                "usage counts for cost tracking (vLLM and `sandbox serve-model` report them)"
            )
        return GenerationResult(
            text=str(response.text),
            prompt_tokens=usage["input_tokens"],
            completion_tokens=usage["output_tokens"],
            seconds=seconds,
        )

    def top_logprobs(
        self, messages: list[Message], k: int = TOP_LOGPROBS
    ) -> list[tuple[str, float]]:
        """The ``k`` most likely first tokens of the answer (``logprobs=true, max_tokens=1``).

        Raises:
            ConfigError: The server rejected the request (e.g. ``k`` above its limit, 20).
            PrerequisiteError: The server cannot be reached or returned no log-probabilities.
        """
        scorer = self._chat.bind(logprobs=True, top_logprobs=k, max_tokens=1, temperature=0)
        with _server_errors(self.base_url, self.timeout):
            response = scorer.invoke(_to_langchain(messages))
        try:
            first = response.response_metadata["logprobs"]["content"][0]
            return [(str(item["token"]), float(item["logprob"])) for item in first["top_logprobs"]]
        except (KeyError, IndexError, TypeError):
            raise PrerequisiteError(
                f"the model server at {self.base_url} returned no log-probabilities for "
                f"'{self.model}'; label scoring needs a server that supports logprobs and "
                "top_logprobs (vLLM and `sandbox serve-model` do)"
            ) from None

    def label_probabilities(
        self, messages: list[Message], labels: Sequence[str]
    ) -> dict[str, float]:
        """Probability that the answer is each label, from the server's first-token logprobs.

        The same numbers as the in-process model gives when the server runs the same weights
        (see :func:`~sandbox.models.base.label_distribution`).
        """
        check_labels(labels)  # before a round trip
        return label_distribution(self.top_logprobs(messages, TOP_LOGPROBS), labels)


def _to_langchain(messages: list[Message]) -> list[BaseMessage]:
    """Chat turns as LangChain messages that reach the server verbatim.

    Roles are not checked here: the server validates them and answers 400 (a ConfigError), as it
    does for any other client. Malformed turns (missing or extra keys) never leave the process.
    """
    from langchain_core.messages import ChatMessage

    if not isinstance(messages, list) or not all(
        isinstance(message, dict) and set(message) == {"role", "content"} for message in messages
    ):
        check_messages(messages)  # raises the ConfigError that names the bad turn
    try:
        return [ChatMessage(role=m["role"], content=m["content"]) for m in messages]
    except (TypeError, ValueError):
        check_messages(messages)
        raise


class OpenAICompatibleEmbeddings:
    """Sentence embeddings from an OpenAI-compatible ``/v1/embeddings`` endpoint.

    Wraps :class:`langchain_openai.OpenAIEmbeddings` with ``check_embedding_ctx_length=False``,
    so raw text is sent and no tiktoken encoding (which would be downloaded) is ever needed.

    Args:
        base_url: The server's API root, e.g. ``http://127.0.0.1:8000/v1``.
        model: Served embedding model; ``sandbox serve-model`` serves ``all-MiniLM-L6-v2``.
        api_key: Bearer key; ``None`` sends :data:`NO_API_KEY`.
        timeout: Seconds to wait for each HTTP request.
        max_retries: Retries on connection errors, 429 and 5xx.
    """

    def __init__(
        self,
        base_url: str,
        model: str = "all-MiniLM-L6-v2",
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 2,
    ) -> None:
        from langchain_openai import OpenAIEmbeddings

        self.base_url = _check_connection_settings(base_url, timeout, max_retries)
        self.model = model
        self.timeout = timeout
        self._embeddings: OpenAIEmbeddings = OpenAIEmbeddings(
            model=model,
            base_url=self.base_url,
            api_key=api_key or NO_API_KEY,
            timeout=timeout,
            max_retries=max_retries,
            check_embedding_ctx_length=False,
            http_client=_no_redirect_client(timeout),
        )

    @property
    def langchain_embeddings(self) -> OpenAIEmbeddings:
        """The underlying LangChain embeddings object, for retrievers and vector stores."""
        return self._embeddings

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` in order as a ``(len(texts), dimensions)`` float32 array.

        Raises:
            ConfigError: The server rejected the request.
            UnknownNameError: The server serves no such embedding model.
            PrerequisiteError: The server cannot be reached.
        """
        import numpy as np

        items = [str(text) for text in texts]
        if not items:
            return np.zeros((0, 0), dtype=np.float32)
        with _server_errors(self.base_url, self.timeout):
            vectors = self._embeddings.embed_documents(items)
        return np.asarray(vectors, dtype=np.float32)
