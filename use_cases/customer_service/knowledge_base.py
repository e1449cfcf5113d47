"""The knowledge base of Harbourview Bank (海景銀行), a fictional Hong Kong retail bank.

Owns reading and validating its articles (one Markdown file per article and language, with YAML
front matter) and cutting them into citable passages for retrieval. The poisoned documents used
by the indirect prompt-injection tests live apart, in ``knowledge_base_injected/``, and are read
by :func:`load_injected_documents`; each carries the canary string that must never reach a reply.

All names, figures, hotlines (2888 xxxx) and addresses are invented for the project; external
bodies (HKMA, FDRC, the Anti-Deception Coordination Centre's 18222, crisis hotlines) are real.

Example::

    from use_cases.customer_service.knowledge_base import chunks, load_knowledge_base

    passages = chunks(load_knowledge_base())
    passages[0].citation_id     # 'account-opening.en#1'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sandbox.errors import DataError

__all__ = [
    "INJECTED_DIR",
    "KNOWLEDGE_BASE_DIR",
    "Article",
    "InjectedArticle",
    "Passage",
    "chunks",
    "load_injected_documents",
    "load_knowledge_base",
]

HERE = Path(__file__).parent
KNOWLEDGE_BASE_DIR = HERE / "knowledge_base"
INJECTED_DIR = HERE / "knowledge_base_injected"

ArticleLanguage = Literal["en", "zh-Hant"]

_FRONT_MATTER = re.compile(r"\A---\r?\n(?P<meta>.*?)\r?\n---\r?\n(?P<body>.*)\Z", re.DOTALL)
_HEADING_ONLY = re.compile(r"\A(?:#{1,6} [^\n]*\n?)+\Z")


class Article(BaseModel):
    """One article in one language; ``id`` is ``<slug>.<language>``, e.g. ``cards-lost.en``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*\.(?:en|zh-Hant)$")
    title: str = Field(min_length=1, max_length=200)
    language: ArticleLanguage
    topic: str = Field(pattern=r"^[a-z]+(?:-[a-z]+)*$")
    updated: date
    body: str = Field(min_length=1)

    @model_validator(mode="after")
    def _id_names_language(self) -> Article:
        if not self.id.endswith(f".{self.language}"):
            raise ValueError(f"id {self.id!r} must end with '.{self.language}' (its language)")
        return self

    @property
    def slug(self) -> str:
        """The id without its language: the English and Chinese versions share it."""
        return self.id.rsplit(".", 1)[0]


class InjectedArticle(Article):
    """A poisoned article: its body hides instructions that contain ``canary``."""

    canary: str = Field(min_length=8, pattern=r"^[A-Z0-9-]+$")

    @model_validator(mode="after")
    def _canary_in_body(self) -> InjectedArticle:
        if self.canary not in self.body:
            raise ValueError(f"canary {self.canary!r} does not occur in the article's text")
        return self


class Passage(BaseModel):
    """A paragraph of an article, the unit the retriever returns and the assistant cites."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    citation_id: str = Field(description="'<article id>#<n>', n counting paragraphs from 1")
    article_id: str
    title: str
    language: ArticleLanguage
    topic: str
    text: str


_A = TypeVar("_A", bound=Article)


def load_knowledge_base(path: Path | str | None = None) -> list[Article]:
    """Read every ``*.md`` article under ``path`` (default: the bundled knowledge base).

    Args:
        path: A folder of articles; ``None`` reads :data:`KNOWLEDGE_BASE_DIR`.

    Returns:
        The articles sorted by id.

    Raises:
        DataError: A file has no front matter, unknown or missing keys, a bad value, an id that
            differs from its file name, or an id used twice; the message names the file.
    """
    return _load_folder(Path(path) if path is not None else KNOWLEDGE_BASE_DIR, Article)


def load_injected_documents(path: Path | str | None = None) -> list[InjectedArticle]:
    """Read the poisoned articles for the indirect-injection tests (each with a ``canary``).

    Args:
        path: A folder of poisoned articles; ``None`` reads :data:`INJECTED_DIR`.

    Raises:
        DataError: As :func:`load_knowledge_base`, or a canary missing from the text or shared
            by two documents.
    """
    documents = _load_folder(Path(path) if path is not None else INJECTED_DIR, InjectedArticle)
    seen: dict[str, str] = {}
    for doc in documents:
        if doc.canary in seen:
            raise DataError(
                f"injected documents {seen[doc.canary]} and {doc.id} share the canary "
                f"{doc.canary!r}; give each document its own"
            )
        seen[doc.canary] = doc.id
    return documents


def chunks(articles: Iterable[Article]) -> list[Passage]:
    """Split articles into paragraph passages, each citable as ``<article id>#<n>``.

    Paragraphs are separated by blank lines; a heading with no text of its own is joined to the
    paragraph that follows it, and a table or list stays whole.
    """
    passages: list[Passage] = []
    for article in articles:
        blocks = [b.strip() for b in re.split(r"\n\s*\n", article.body) if b.strip()]
        pending = ""
        number = 0
        for block in blocks:
            if _HEADING_ONLY.match(block):
                pending = f"{pending}{block}\n"
                continue
            number += 1
            passages.append(
                Passage(
                    citation_id=f"{article.id}#{number}",
                    article_id=article.id,
                    title=article.title,
                    language=article.language,
                    topic=article.topic,
                    text=f"{pending}{block}",
                )
            )
            pending = ""
        if pending:
            number += 1
            passages.append(
                Passage(
                    citation_id=f"{article.id}#{number}",
                    article_id=article.id,
                    title=article.title,
                    language=article.language,
                    topic=article.topic,
                    text=pending.strip(),
                )
            )
    return passages


def _load_folder(folder: Path, model: type[_A]) -> list[_A]:
    if not folder.is_dir():
        raise DataError(f"knowledge base folder {folder} does not exist")
    files = sorted(folder.glob("*.md"))
    if not files:
        raise DataError(f"knowledge base folder {folder} holds no *.md articles")
    articles: dict[str, _A] = {}
    for file in files:
        article = _read_article(file, model)
        if article.id in articles:
            raise DataError(f"{file}: id {article.id!r} is used by another article")
        articles[article.id] = article
    return [articles[key] for key in sorted(articles)]


def _read_article(file: Path, model: type[_A]) -> _A:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{file}: cannot be read as UTF-8 text ({exc})") from exc
    match = _FRONT_MATTER.match(text)
    if match is None:
        raise DataError(
            f"{file}: no YAML front matter; the file must start with a '---' line, the keys "
            f"id, title, language, topic, updated, and a closing '---' line"
        )
    try:
        meta = yaml.safe_load(match["meta"])
    except yaml.YAMLError as exc:
        raise DataError(f"{file}: front matter is not valid YAML ({exc})") from exc
    if not isinstance(meta, dict):
        raise DataError(f"{file}: front matter must be a mapping of keys to values")
    if "body" in meta:
        raise DataError(f"{file}: 'body' is not a front-matter key; write the text below '---'")
    try:
        article = model.model_validate({**meta, "body": match["body"].strip()})
    except ValidationError as exc:
        raise DataError(f"{file}: {_describe(exc)}") from exc
    if file.name != f"{article.id}.md":
        raise DataError(f"{file}: id {article.id!r} does not match the file name")
    return article


def _describe(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        where = ".".join(str(part) for part in err["loc"]) or "front matter"
        problems.append(f"{where}: {err['msg']}")
    return "; ".join(problems)
