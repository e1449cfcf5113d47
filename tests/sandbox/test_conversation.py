"""The conversation contract: JSONL in is validated whole, JSONL out holds only the public keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.conversation import (
    AgentAction,
    AgentReply,
    Conversation,
    read_conversations,
    write_replies,
)
from sandbox.errors import DataError

SECRET = "my HKID is A123456(7)"  # synthetic; must never be echoed in an error message


def _line(payload: object) -> str:
    return json.dumps(payload, ensure_ascii=False)


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_good_file_is_read_in_order(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "in.jsonl",
        [
            _line({"id": "c1", "messages": [{"role": "user", "content": "Hello"}]}),
            "",  # blank lines are skipped
            _line(
                {
                    "id": "c2",
                    "messages": [
                        {"role": "user", "content": "我張卡唔見咗"},
                        {"role": "assistant", "content": "I am an AI assistant."},
                        {"role": "user", "content": "Please freeze it"},
                    ],
                }
            ),
        ],
    )
    conversations = read_conversations(path)
    assert [c.id for c in conversations] == ["c1", "c2"]
    assert conversations[0].is_first_turn and not conversations[1].is_first_turn
    assert conversations[1].last_user_message == "Please freeze it"
    assert conversations[0].messages[0].content == "Hello"


@pytest.mark.parametrize(
    ("bad_line", "said"),
    [
        (SECRET + " {not json", "not JSON"),
        (
            _line(
                {
                    "id": "x",
                    "messages": [
                        {"role": "user", "content": SECRET},
                        {"role": "assistant", "content": "ok"},
                    ],
                }
            ),
            "last message must be the user's",
        ),
        (_line({"id": "x", "messages": [{"role": "system", "content": SECRET}]}), "role"),
        (_line({"messages": [{"role": "user", "content": SECRET}]}), "id"),
        (_line({"id": "x", "messages": []}), "messages"),
    ],
    ids=["bad-json", "last-not-user", "unknown-role", "missing-id", "no-messages"],
)
def test_one_bad_line_refuses_the_whole_file(tmp_path: Path, bad_line: str, said: str) -> None:
    good = _line({"id": "ok1", "messages": [{"role": "user", "content": "Hi"}]})
    path = _write(tmp_path / "in.jsonl", [good, bad_line, good.replace("ok1", "ok2")])
    with pytest.raises(DataError) as caught:
        read_conversations(path)
    message = str(caught.value)
    assert "line 2" in message and said in message
    assert "1 bad line(s), nothing was run" in message
    assert "line 1" not in message and "line 3" not in message
    assert "A123456" not in message and "HKID" not in message  # never the content


def test_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    line = _line({"id": "dup", "messages": [{"role": "user", "content": "Hi"}]})
    other = _line({"id": "other", "messages": [{"role": "user", "content": "Hi"}]})
    path = _write(tmp_path / "in.jsonl", [line, other, line])
    with pytest.raises(DataError, match=r"line 3: id 'dup' repeats line 1"):
        read_conversations(path)


def test_every_bad_line_is_listed_up_to_ten(tmp_path: Path) -> None:
    lines = [f"bad {i}" for i in range(12)]
    path = _write(tmp_path / "in.jsonl", lines)
    with pytest.raises(DataError) as caught:
        read_conversations(path)
    message = str(caught.value)
    assert "12 bad line(s)" in message
    assert "line 1:" in message and "line 10:" in message and "line 11:" not in message
    assert "and 2 more" in message


@pytest.mark.parametrize("text", ["", "\n\n  \n"], ids=["empty", "blank-lines"])
def test_empty_file_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match="holds no conversations"):
        read_conversations(path)


def test_missing_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot read"):
        read_conversations(tmp_path / "absent.jsonl")


def _reply(id_: str) -> AgentReply:
    return AgentReply(
        id=id_,
        reply="我係AI助理。請致電熱線。",
        actions=[AgentAction.DISCLOSE, AgentAction.HANDOVER],
        citations=["cards.md#lost"],
        details={"category": "handover_request", "confidence": 0.9},
    )


def test_write_replies_writes_only_the_public_keys(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "out.jsonl"
    write_replies([_reply("c1"), _reply("c2")], out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert list(first) == ["id", "reply", "actions", "citations"]  # no details
    assert first == {
        "id": "c1",
        "reply": "我係AI助理。請致電熱線。",
        "actions": ["disclose", "handover"],
        "citations": ["cards.md#lost"],
    }
    assert "我係" in lines[0]  # written as UTF-8, not \u escapes
    assert [p.name for p in out.parent.iterdir()] == ["out.jsonl"]  # no temporary left


def test_failed_write_leaves_no_partial_file(tmp_path: Path) -> None:
    class Broken:
        """A reply whose serialisation fails half-way through the file."""

        def public(self) -> dict:
            raise RuntimeError("disk full")

    out = tmp_path / "out.jsonl"
    with pytest.raises(RuntimeError, match="disk full"):
        write_replies([_reply("c1"), Broken()], out)  # type: ignore[list-item]
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_an_earlier_output_intact(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    write_replies([_reply("old")], out)
    before = out.read_bytes()

    class Broken:
        def public(self) -> dict:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_replies([_reply("new"), Broken()], out)  # type: ignore[list-item]
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_conversation_model_refuses_extra_keys() -> None:
    with pytest.raises(ValueError):
        Conversation.model_validate(
            {"id": "c", "messages": [{"role": "user", "content": "x"}], "extra": 1}
        )
