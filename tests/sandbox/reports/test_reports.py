"""Reports and sign-off end to end on one small fraud run, checked through MLflow and the PDF."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import mlflow
import pytest

import sandbox
from sandbox import tracking
from sandbox.config import PROJECT_ROOT, Settings
from sandbox.errors import AccessDenied, AuditIntegrityError, WorkflowError
from sandbox.identity import Role
from sandbox.reports import build_report, review_status, review_step
from sandbox.reports.body import SECTIONS, body_of, sha256_text
from sandbox.reports.signoff import CHAMPION_ALIAS, champion_run_id, registered_model_name
from tests.use_cases.fraud.test_fraud_runs import SMALL_TRANSACTIONS

HEADINGS = [f"{n}. {title}" for n, (title, _) in SECTIONS.items()] + ["Appendix: reproducibility"]
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed"
)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reports-home")


@pytest.fixture(scope="module")
def environment(home: Path, shared_cache: Path):
    with pytest.MonkeyPatch.context() as patch:
        for key in ("MLFLOW_RUN_ID", "MLFLOW_TRACKING_URI", "SANDBOX_TRACKING_URI"):
            patch.delenv(key, raising=False)
        patch.setenv("SANDBOX_HOME", str(home))
        patch.setenv("SANDBOX_DATA_DIR", str(PROJECT_ROOT / "data"))
        patch.setenv("SANDBOX_CACHE_DIR", str(shared_cache))
        patch.setenv("SANDBOX_TENANT", "test-bank")
        patch.setenv("SANDBOX_USER", "dev-alice")
        patch.setenv("SANDBOX_ROLE", "data_scientist")
        yield


def _model_dir(model_uri: str) -> Path:
    """Where a logged model's files lie in the local store."""
    from urllib.parse import urlparse

    location = mlflow.get_logged_model(model_uri.rsplit("/", 1)[-1]).artifact_location
    return Path(urlparse(location).path)


def as_user(user: str, role: Role) -> Settings:
    return Settings(user=user, role=role)


def client() -> mlflow.MlflowClient:
    return mlflow.MlflowClient(Settings().resolved_tracking_uri)


@pytest.fixture(scope="module")
def record(environment) -> sandbox.RunRecord:
    from sandbox.models.embedded import embedded_status

    explanations = ["explanations.enabled=false"]
    if embedded_status()[0]:  # two LLM-written alert explanations, so section 11 shows them
        explanations = [
            "explanations.enabled=true",
            "explanations.max_alerts_cpu=2",
            "explanations.max_new_tokens=48",
        ]
    return sandbox.run_experiment(
        "fraud", "transactions", overrides=SMALL_TRANSACTIONS + explanations
    )


@needs_poppler
def test_pdf_report_has_every_section_and_figures(record: sandbox.RunRecord) -> None:
    result = build_report(record.run_id, fmt="pdf")
    assert result.pdf_path is not None and result.pdf_path.stat().st_size > 50_000
    text = subprocess.run(
        ["pdftotext", "-layout", str(result.pdf_path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for heading in HEADINGS:
        assert heading in text, heading
    assert "Not assessed:" in text  # robustness does not apply to tabular inputs: said, not omitted
    assert result.pages is not None and result.pages >= 8
    images = subprocess.run(
        ["pdfimages", "-list", str(result.pdf_path)], capture_output=True, text=True, check=True
    ).stdout
    assert len(images.strip().splitlines()) - 2 >= 6  # PR curves, confusion, reliability, ...
    logged = client().list_artifacts(record.run_id, "report")
    assert [Path(a.path).name for a in logged] == ["report.pdf"]


def test_report_numbers_equal_mlflow_metrics(record: sandbox.RunRecord) -> None:
    result = build_report(record.run_id, fmt="html")
    document = result.html_path.read_text(encoding="utf-8")
    cells = re.findall(r'data-model="(\w+)" data-metric="([^"]+)" data-value="([^"]+)"', document)
    assert len(cells) == len(record.models) * len(record.key_metrics)
    store = client()
    for role, metric, value in cells:
        logged = store.get_run(record.model(role).run_id).data.metrics[metric]
        assert float(value) == pytest.approx(logged, rel=1e-12), (role, metric)
    # and the formatted figure a reader sees is that number
    auprc = store.get_run(record.model("challenger").run_id).data.metrics["auprc"]
    assert f"{auprc:.4g}" in document


def test_report_is_deterministic_and_only_the_signoff_section_differs(record) -> None:
    first = build_report(record.run_id, fmt="html", log_to_mlflow=False)
    body_one = body_of(first.html_path.read_text(encoding="utf-8"))
    second = build_report(record.run_id, fmt="html", log_to_mlflow=False)
    body_two = body_of(second.html_path.read_text(encoding="utf-8"))
    assert sha256_text(body_one) == sha256_text(body_two) == first.body_sha256
    assert "Sign-offs" not in body_one


def test_signoff_flow_end_to_end(record: sandbox.RunRecord, home: Path) -> None:
    developer = as_user("dev-alice", Role.DATA_SCIENTIST)
    validator = as_user("val-victor", Role.VALIDATOR)
    officer = as_user("co-carol", Role.COMPLIANCE_OFFICER)

    with pytest.raises(WorkflowError, match="it is 'draft'"):
        review_step(record.run_id, "validate", comment="too early", settings=validator)
    with pytest.raises(AccessDenied, match="allowed roles: compliance_officer"):
        review_step(record.run_id, "approve", comment="not mine", settings=developer)

    # the steps before the approval record their state only; the approval rebuilds the report
    review_step(record.run_id, "submit", comment="ready", settings=developer, rebuild_report=False)
    with pytest.raises(WorkflowError, match="it is 'submitted'"):
        review_step(record.run_id, "approve", comment="skip validation", settings=officer)
    # the developer, even holding a validator role, may not validate their own run
    with pytest.raises(WorkflowError, match="HKMA-AI-2"):
        review_step(
            record.run_id, "validate", comment="mine", settings=as_user("dev-alice", Role.VALIDATOR)
        )
    review_step(
        record.run_id,
        "validate",
        comment="independent check done",
        settings=validator,
        rebuild_report=False,
    )
    # the validator, even holding the compliance role, may not also approve (HKMA-AI-2)
    with pytest.raises(WorkflowError, match="already took the 'validate' step"):
        review_step(
            record.run_id,
            "approve",
            comment="mine too",
            settings=as_user("val-victor", Role.COMPLIANCE_OFFICER),
        )
    # a model whose files changed since the run is not registered (its sha256 is in the record)
    challenger = record.model("challenger")
    assert challenger.model_sha256 == tracking.model_sha256(officer, challenger.model_uri)
    model_file = next(p for p in _model_dir(challenger.model_uri).rglob("*") if p.is_file())
    original = model_file.read_bytes()
    model_file.write_bytes(original + b"\0")
    try:
        with pytest.raises(AuditIntegrityError, match="changed since the run"):
            review_step(record.run_id, "approve", comment="approved", settings=officer)
    finally:
        model_file.write_bytes(original)
    review = review_step(record.run_id, "approve", comment="approved", settings=officer)
    assert all(s.audit_head.count(":") == 1 for s in review.steps)

    assert review.state == "approved"
    assert [s.action for s in review.steps] == ["submit", "validate", "approve"]
    assert {s.user for s in review.steps} == {"dev-alice", "val-victor", "co-carol"}
    assert len({s.run_sha256 for s in review.steps}) == 1

    store = client()
    version = store.get_model_version_by_alias(registered_model_name(record), CHAMPION_ALIAS)
    assert version.run_id == record.model("challenger").run_id
    assert store.get_run(record.run_id).data.tags["signoff.state"] == "approved"
    events = [e.action for e in sandbox.audit_entries(developer)]
    assert [e for e in events if e.startswith("review.")] == [
        "review.submit",
        "review.validate",
        "review.approve",
    ]
    assert (home / "reviews" / "test-bank" / f"{record.run_id}.json").is_file()

    # the approved report shows the sign-off, and everything still verifies
    html = (home / "reports" / "test-bank" / record.run_id / "report.html").read_text("utf-8")
    assert "co-carol" in html and "hashes verified" in html
    _, check, problems = review_status(record.run_id, settings=officer)
    assert check is not None and check.valid and problems == []

    # a later run is compared with the champion
    assert champion_run_id(developer, record) == record.run_id

    # an edit of the report after approval is detected ...
    path = home / "reports" / "test-bank" / record.run_id / "report.html"
    path.write_text(html.replace("Executive summary", "Executive summery"), encoding="utf-8")
    _, check, problems = review_status(record.run_id, settings=officer)
    assert check.valid and any("body differs" in p for p in problems)
    # ... and so is a change of the run
    store.log_metric(record.run_id, "late_edit", 1.0)
    _, check, _ = review_status(record.run_id, settings=officer)
    assert not check.valid and "run changed" in check.reason
    with pytest.raises(WorkflowError, match="approved"):
        review_step(record.run_id, "approve", comment="again", settings=officer)


def _rezip(source: Path, target: Path, change: str) -> None:
    """Copy a bundle, flipping one byte of the member ``change``."""
    with zipfile.ZipFile(source) as bundle:
        files = {i.filename: bundle.read(i) for i in bundle.infolist()}
    data = bytearray(files[change])
    data[len(data) // 2] ^= 0x01
    files[change] = bytes(data)
    with zipfile.ZipFile(target, "w") as bundle:
        for name, content in files.items():
            bundle.writestr(name, content)


def test_evidence_bundle_verifies_offline_and_names_a_changed_member(
    record: sandbox.RunRecord, tmp_path: Path
) -> None:
    """Runs after the sign-off test: the approved run's bundle, checked by a process that has no
    sandbox home, server or store; one changed byte in any member fails and is named."""
    reviewer = as_user("hkma-henry", Role.HKMA_REVIEWER)  # read-only, and may export
    path, manifest = sandbox.export_bundle(
        record.run_id, tmp_path / "bundle.zip", settings=reviewer
    )
    assert manifest["review_state"] == "approved"
    assert manifest["audit_head"] is not None
    assert {m["role"]: m["sha256"] for m in manifest["models"]} == {
        m.role: m.model_sha256 for m in record.models
    }
    key = manifest["signer"]["fingerprint"]
    offline = {k: v for k, v in os.environ.items() if not k.startswith(("SANDBOX_", "MLFLOW_"))}
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    command = [sys.executable, "-m", "sandbox.cli", "verify-bundle"]
    ok = subprocess.run(
        [*command, str(path), "--key", key],
        capture_output=True,
        text=True,
        cwd=empty,
        env={**offline, "SANDBOX_HOME": str(empty)},
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "bundle verifies" in ok.stdout and not list(empty.iterdir())

    with zipfile.ZipFile(path) as bundle:
        names = bundle.namelist()
    assert {"report.pdf", "report.html", "run_record.json", "review.json"} <= set(names)
    for member in names:
        changed = tmp_path / f"changed-{member}.zip"
        _rezip(path, changed, member)
        check = sandbox.verify_bundle(changed, key=key)
        expected = "signature does not verify" if member.startswith("manifest") else member
        assert not check.valid and any(expected in p for p in check.problems), (member, check)
    other = sandbox.verify_bundle(path, key="00" * 32)
    assert any("not by the expected key" in p for p in other.problems)
    cli = subprocess.run(
        [*command, str(tmp_path / "changed-report.pdf.zip")], capture_output=True, text=True
    )
    assert cli.returncode == 1 and "member report.pdf differs" in cli.stdout


def test_a_record_claiming_another_run_is_refused(record: sandbox.RunRecord) -> None:
    """A record copied into another run (to borrow its sign-off or to aim report paths
    elsewhere) is not used: the record must name the run it is stored in."""
    from sandbox.errors import DataError
    from sandbox.reports.body import load_record

    store = client()
    parent = store.get_run(record.run_id)
    forged = store.create_run(parent.info.experiment_id, tags=dict(parent.data.tags))
    original = tracking.download_artifact(Settings(), record.run_id, "run_record.json")
    store.log_text(forged.info.run_id, original.read_text(encoding="utf-8"), "run_record.json")
    store.set_terminated(forged.info.run_id)
    with pytest.raises(DataError, match="claims to be of another run"):
        load_record(Settings(), forged.info.run_id)
    store.delete_run(forged.info.run_id)


def test_review_cli_refuses_out_of_order_with_a_clear_line(record, home: Path) -> None:
    env = {**os.environ, "SANDBOX_USER": "val-other", "SANDBOX_ROLE": "validator"}
    result = subprocess.run(
        [sys.executable, "-m", "sandbox.cli", "review", record.run_id, "validate", "-m", "x"],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "cannot validate run" in result.stderr


def test_pdf_renders_chinese_text(tmp_path: Path) -> None:
    from sandbox.reports.builder import _write_pdf

    if shutil.which("pdftotext") is None or shutil.which("pdffonts") is None:
        pytest.skip("poppler-utils not installed")
    document = (
        "<html><head><style>body{font-family:'DejaVu Sans','WenQuanYi Micro Hei';}</style>"
        "</head><body><p>詐騙短訊 scam 訊息：請即致電</p></body></html>"
    )
    path, pages = _write_pdf(document, tmp_path / "zh.pdf")
    assert pages == 1
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "詐騙短訊" in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "WenQuanYi" in fonts


def test_llm_alert_explanations_are_scored_and_shown(record: sandbox.RunRecord) -> None:
    challenger = record.model("challenger")
    evaluation = challenger.evaluation("explanation_faithfulness")
    if evaluation is None:
        pytest.skip("the embedded chat model is not installed")
    assert evaluation.status == "assessed" and evaluation.metrics["explanations"] == 2
    assert 0.0 <= evaluation.metrics["faithfulness_rate"] <= 1.0
    assert any(v.threshold.metric == "faithfulness_rate" for v in challenger.verdicts)
    html = build_report(record.run_id, fmt="html").html_path.read_text(encoding="utf-8")
    assert "LLM-written alert explanations" in html
    assert evaluation.evidence["rows"][0]["excerpt"][:40] in html.replace("&#39;", "'")
