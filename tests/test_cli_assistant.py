"""`sandbox assistant reply` as an outside evaluator runs it: bad input is refused whole, in one
line, before any model loads, and leaves no output file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.config import Settings
from sandbox.errors import DataError

SANDBOX = str(Path(sys.executable).parent / "sandbox")


def _cli(*args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SANDBOX, *args], capture_output=True, text=True, env=dict(os.environ), timeout=timeout
    )


def _conversation(id_: str, *turns: tuple[str, str]) -> str:
    messages = [{"role": role, "content": content} for role, content in turns]
    return json.dumps({"id": id_, "messages": messages}, ensure_ascii=False)


def test_bad_input_exits_with_the_data_error_code_and_writes_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        "\n".join(
            [
                _conversation("c1", ("user", "How do I report a lost card?")),
                _conversation(
                    "c2", ("user", "My HKID is A123456(7)"), ("assistant", "Thank you.")
                ),  # ends with the assistant
                "{not json",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    output = tmp_path / "out" / "replies.jsonl"
    out = _cli("assistant", "reply", "--input", str(source), "--output", str(output))
    assert out.returncode == DataError.exit_code == 4
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("error:")
    assert "2 bad line(s), nothing was run" in lines[0]
    assert "line 2" in lines[0] and "line 3" in lines[0]
    assert "A123456" not in out.stderr + out.stdout  # never the content
    assert "Traceback" not in out.stderr + out.stdout
    assert out.stdout == ""
    assert not output.exists() and not output.parent.exists()


def test_empty_input_is_refused(settings: Settings, tmp_path: Path) -> None:
    source = tmp_path / "empty.jsonl"
    source.write_text("", encoding="utf-8")
    output = tmp_path / "replies.jsonl"
    out = _cli("assistant", "reply", "-i", str(source), "-o", str(output))
    assert out.returncode == 4
    assert "holds no conversations" in out.stderr and "Traceback" not in out.stderr
    assert not output.exists()


@pytest.mark.slow  # loads the assistant's models and knowledge base on CPU
def test_reply_writes_one_public_line_per_conversation(settings: Settings, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        "\n".join(
            [
                _conversation("en-1", ("user", "I want to speak to a real person please")),
                _conversation("yue-1", ("user", "我想搵真人職員傾吓")),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    output = tmp_path / "replies.jsonl"
    out = _cli("assistant", "reply", "--input", str(source), "--output", str(output))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout == ""  # progress goes to stderr, results to the file only
    replies = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in replies] == ["en-1", "yue-1"]
    for reply in replies:
        assert set(reply) == {"id", "reply", "actions", "citations"}
        assert {"disclose", "handover"} <= set(reply["actions"])
        assert reply["reply"].strip()
    assert "2 replies written" in out.stderr
