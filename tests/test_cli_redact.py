"""`sandbox redact` and `sandbox vault reveal`: text, stdin, JSON Lines, explain, bad input."""

from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox import cli
from sandbox.audit import AuditLog
from sandbox.config import Settings

HKID = "A123456(3)"  # synthetic, valid check digit


def _run(
    args: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    stdin: bytes | None = None,
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["sandbox", *args])
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    code = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_redact_argument(settings: Settings, monkeypatch, capsys) -> None:
    code, out, _ = _run(["redact", f"My HKID is {HKID}, call 9123 4567"], monkeypatch, capsys)
    assert code == 0
    assert out.strip() == "My HKID is <HK_ID_1>, call <HK_PHONE_1>"
    entry = list(AuditLog(settings.audit_log_path).entries())[-1]
    assert entry.action == "privacy.redact" and entry.target == "cli:argument"
    assert entry.details["counts"] == {"HK_ID": 1, "HK_PHONE": 1}


def test_redact_stdin_with_explain_and_mask(settings: Settings, monkeypatch, capsys) -> None:
    text = f"line one {HKID}\nno personal data here\n".encode()
    code, out, err = _run(["redact", "--explain", "--operator", "mask"], monkeypatch, capsys, text)
    assert code == 0
    assert out.splitlines() == ["line one <HK_ID>", "no personal data here"]
    assert "line 1 [9:19] HK_ID" in err and HKID not in err


def test_redact_empty_stdin(settings: Settings, monkeypatch, capsys) -> None:
    code, out, err = _run(["redact"], monkeypatch, capsys, b"")
    assert code == 0 and out == "" and "no input" in err


def test_redact_binary_stdin_is_a_clear_error(settings: Settings, monkeypatch, capsys) -> None:
    code, out, err = _run(["redact"], monkeypatch, capsys, b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    assert code == 4
    assert "binary" in err or "not UTF-8" in err
    assert "Traceback" not in err


def test_redact_jsonl_keeps_order_and_other_fields(
    settings: Settings, tmp_path: Path, monkeypatch, capsys
) -> None:
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    records = [
        {"id": 1, "text": f"HKID {HKID}", "channel": "chat"},
        {"id": 2, "channel": "call"},
        {"id": 3, "text": "call +852 6123 4567", "meta": {"n": [1, 2]}},
        {"id": 4, "text": "沒有個人資料"},
    ]
    source.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8"
    )
    code, _, err = _run(
        ["redact", "-i", str(source), "-o", str(target), "--explain"], monkeypatch, capsys
    )
    assert code == 0, err
    out = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in out] == [1, 2, 3, 4]
    assert out[0]["text"] == "HKID <HK_ID_1>" and out[0]["channel"] == "chat"
    assert out[1] == records[1]
    assert out[2]["text"] == "call <HK_PHONE_1>" and out[2]["meta"] == {"n": [1, 2]}
    assert out[3]["text"] == "沒有個人資料" and out[3]["pii_entities"] == []
    assert out[0]["pii_entities"][0]["type"] == "HK_ID"
    assert HKID not in target.read_text(encoding="utf-8")


def test_redact_bad_json_line_names_it_and_writes_nothing(
    settings: Settings, tmp_path: Path, monkeypatch, capsys
) -> None:
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text('{"text": "ok"}\n{"text": broken\n', encoding="utf-8")
    code, _, err = _run(["redact", "-i", str(source), "-o", str(target)], monkeypatch, capsys)
    assert code == 4 and "line 2" in err
    assert not target.exists() and not list(tmp_path.glob(".out.jsonl.*"))


def test_redact_input_without_output_is_a_usage_error(settings: Settings, monkeypatch, capsys):
    code, _, err = _run(["redact", "-i", "x.jsonl"], monkeypatch, capsys)
    assert code == 2 and "--output" in err


def test_vault_reveal_for_officer_only(settings: Settings, monkeypatch, capsys) -> None:
    _run(["redact", f"HKID {HKID}"], monkeypatch, capsys)
    code, _, err = _run(["vault", "reveal", "<HK_ID_1>"], monkeypatch, capsys)
    assert code == 5 and "reidentify" in err
    monkeypatch.setenv("SANDBOX_ROLE", "compliance_officer")
    code, _, err = _run(["vault", "reveal", "<HK_ID_1>"], monkeypatch, capsys)
    assert code == 5 and "second person" in err
    code, out, _ = _run(
        ["vault", "request", "<HK_ID_1>", "--reason", "complaint case 7 follow-up"],
        monkeypatch,
        capsys,
    )
    assert code == 0 and "request 1" in out
    code, _, err = _run(["vault", "approve", "1"], monkeypatch, capsys)
    assert code == 5 and "second person must approve" in err
    monkeypatch.setenv("SANDBOX_USER", "officer-two")
    code, out, _ = _run(["vault", "approve", "1"], monkeypatch, capsys)
    assert code == 0 and "approved" in out
    code, out, _ = _run(["vault", "requests"], monkeypatch, capsys)
    assert code == 0 and "approved" in out
    monkeypatch.setenv("SANDBOX_USER", "test-scientist")  # the one who asked
    code, out, _ = _run(["vault", "reveal", "<HK_ID_1>", "--request", "1"], monkeypatch, capsys)
    assert code == 0 and out.strip() == f"<HK_ID_1>\t{HKID}"


@pytest.mark.slow
def test_redact_10mb_file_streams_in_bounded_memory(settings: Settings, tmp_path: Path) -> None:
    source, target = tmp_path / "big.jsonl", tmp_path / "big.out.jsonl"
    line = {
        "text": f"Customer Chan Tai Man HKID {HKID} tel 9123 4567 paid HKD 12,300.50 at "
        "Wellcome on 15/03/2026, ref FT2603151234, 陳大文先生請致電客戶服務熱線。"
    }
    encoded = json.dumps(line, ensure_ascii=False) + "\n"
    repeats = 10 * 1024 * 1024 // len(encoded.encode()) + 1
    with source.open("w", encoding="utf-8") as handle:
        for _ in range(repeats):
            handle.write(encoded)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "sandbox"),
            "redact",
            "-i",
            str(source),
            "-o",
            str(target),
        ],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    peak_mib = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    with target.open(encoding="utf-8") as handle:
        assert sum(1 for _ in handle) == repeats
    assert HKID not in target.read_text(encoding="utf-8")
    assert peak_mib < 2048, f"peak RSS {peak_mib:.0f} MiB"
