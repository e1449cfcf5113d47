from pathlib import Path

import pytest

from sandbox.errors import DataError
from use_cases.fraud.scam_messages import load_sms_spam


def test_parses_labels_and_keeps_tabs_in_text(tmp_path: Path) -> None:
    path = tmp_path / "s.tsv"
    path.write_text("ham\thello there\nspam\tWIN\tnow\n\n", encoding="utf-8")
    frame = load_sms_spam(path)
    assert frame["label"].tolist() == [0, 1]
    assert frame["text"].tolist() == ["hello there", "WIN\tnow"]


@pytest.mark.parametrize("content", ["ham hello\n", "eggs\thello\n"])
def test_malformed_line_is_named(tmp_path: Path, content: str) -> None:
    path = tmp_path / "s.tsv"
    path.write_text("ham\tok\n" + content, encoding="utf-8")
    with pytest.raises(DataError, match="line 2"):
        load_sms_spam(path)


def test_non_utf8_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "s.tsv"
    path.write_bytes(b"ham\t\xff\xfe\n")
    with pytest.raises(DataError, match="not UTF-8"):
        load_sms_spam(path)
