"""Evidence bundles a regulator can check offline: one signed zip per run.

``export_bundle`` gathers a run's report (HTML and PDF, rebuilt at export so it names the current
audit head and sign-off state), its RunRecord, its sign-off state and its audit entries, writes a
manifest with the sha256 of every member, the models' and data sets' hashes and the anchored
audit head, and has the manifest signed (Ed25519): by the sandbox server, which first checks that
every listed audit entry and the head are in its own log, or, without a server, by the sandbox
home's key. ``verify_bundle`` needs neither the server nor the stores: it checks the signature,
every member's hash and the cross-references between members, and names each difference.

Compare the signer's fingerprint with the one the sandbox operator publishes (``sandbox server
public-key``, or ``sandbox export`` prints it); pass it to ``verify-bundle --key`` to make a
bundle signed by anybody else fail.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox import tracking
from sandbox.audit import AuditEntry, open_audit
from sandbox.config import Settings, load_settings
from sandbox.errors import DataError
from sandbox.experiment import RunRecord
from sandbox.identity import Action
from sandbox.reports import signoff
from sandbox.reports.body import body_of, load_record, report_dir, sha256_text
from sandbox.signing import (
    BundleCheck,
    fingerprint,
    same_fingerprint,
    sign_with_key,
    verify_signature,
)

BUNDLE_FORMAT = "sandbox-evidence-bundle/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
REPORT_HTML, REPORT_PDF = "report.html", "report.pdf"
RECORD, REVIEW, AUDIT = "run_record.json", "review.json", "audit_entries.jsonl"


def local_key_path(settings: Settings) -> Path:
    return settings.home / "signing" / "bundle.key"


def signer_public_key(settings: Settings | None = None) -> tuple[str, str]:
    """Who signs this user's bundles and the key's fingerprint: ``(signer, fingerprint)``."""
    settings = settings or load_settings()
    if settings.server_url is not None:
        from sandbox.server.client import ControlPlane, Credentials

        key = ControlPlane(Credentials.from_environment(settings.server_url)).signing_key()
        return f"sandbox server {settings.server_url}", fingerprint(base64.b64decode(key))
    _, public = sign_with_key(local_key_path(settings), b"")
    return f"sandbox home {settings.home} (local key)", fingerprint(public)


def _sign(settings: Settings, manifest: bytes) -> tuple[bytes, bytes]:
    if settings.server_url is not None:
        from sandbox.server.client import ControlPlane, Credentials

        plane = ControlPlane(Credentials.from_environment(settings.server_url))
        signature, public = plane.sign_manifest(manifest)
        return base64.b64decode(signature), base64.b64decode(public)
    return sign_with_key(local_key_path(settings), manifest)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def export_bundle(
    run_id: str, out: Path | None = None, *, settings: Settings | None = None
) -> tuple[Path, dict[str, Any]]:
    """Write the signed evidence bundle of a run; returns its path and manifest.

    Raises:
        AccessDenied: the user may not read the run's tenant.
        UnknownNameError: no such run in the user's bank.
    """
    from sandbox.reports.builder import build_report

    settings = settings or load_settings()
    identity = settings.identity
    identity.require(Action.READ_RUNS)
    record: RunRecord = load_record(settings, run_id)
    review = signoff.load_review(settings, record.run_id)
    compare = review.compare_run_id if review else None  # the body that was signed off
    build_report(record.run_id, compare=compare, settings=settings, log_to_mlflow=False)
    folder = report_dir(settings, record.run_id)
    members: dict[str, bytes] = {
        REPORT_HTML: (folder / REPORT_HTML).read_bytes(),
        REPORT_PDF: (folder / REPORT_PDF).read_bytes(),
        RECORD: tracking.download_artifact(settings, record.run_id, RECORD).read_bytes(),
    }
    if review is not None:
        members[REVIEW] = review.model_dump_json(indent=2).encode("utf-8")
    audit = open_audit(settings)
    entries = [e for e in audit.entries() if e.target == record.run_id]
    members[AUDIT] = "".join(e.model_dump_json() + "\n" for e in entries).encode("utf-8")
    head = audit.head()
    manifest: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "run_id": record.run_id,
        "tenant": record.identity.tenant,
        "experiment": record.experiment,
        "exported_by": {"user": identity.user, "role": identity.role.value},
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "review_state": review.state if review else "not submitted",
        "audit_head": None if head is None else head.model_dump(),
        "audit_entries": [{"seq": e.seq, "hash": e.hash} for e in entries],
        "models": [
            {"role": m.role, "name": m.name, "model_uri": m.model_uri, "sha256": m.model_sha256}
            for m in record.models
        ],
        "data": [{"name": d.name, "role": d.role, "sha256": d.sha256} for d in record.data],
        "members": {name: _sha256(data) for name, data in sorted(members.items())},
        "signer": "server" if settings.server_url else "local",
    }
    manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
    signature, public = _sign(settings, manifest_bytes)
    signer = {
        "kind": manifest["signer"],
        "public_key": base64.b64encode(public).decode("ascii"),
        "fingerprint": fingerprint(public),
    }
    out = Path(out) if out else Path.cwd() / f"evidence-{record.run_id}.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(MANIFEST, manifest_bytes)
        bundle.writestr(SIGNATURE, json.dumps({**signer, "signature": _b64(signature)}, indent=2))
        for name, data in sorted(members.items()):
            bundle.writestr(name, data)
    audit.append(
        identity,
        "bundle.exported",
        record.run_id,
        {"manifest_sha256": _sha256(manifest_bytes), "signer": signer["fingerprint"]},
    )
    return out, {**manifest, "signer": signer}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def verify_bundle(path: Path, *, key: str | None = None) -> BundleCheck:
    """Check a bundle offline: signature (and signer, when ``key`` names the expected
    fingerprint), every member's sha256, and that members agree with each other."""
    path = Path(path)
    check = BundleCheck(path=path)
    try:
        with zipfile.ZipFile(path) as bundle:
            files = {info.filename: bundle.read(info) for info in bundle.infolist()}
    except (OSError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path} is not a readable evidence bundle ({exc})") from None
    if MANIFEST not in files or SIGNATURE not in files:
        check.problems.append(
            f"{path.name} lacks {MANIFEST} or {SIGNATURE}: not an evidence bundle"
        )
        return check
    manifest = _check_signature(files, check, key)
    if manifest is None:
        return check
    check.run_id, check.tenant = manifest.get("run_id", ""), manifest.get("tenant", "")
    check.review_state = manifest.get("review_state", "")
    listed: dict[str, str] = manifest.get("members", {})
    check.members = len(listed)
    for name, expected in sorted(listed.items()):
        if name not in files:
            check.problems.append(f"member {name} is missing")
        elif _sha256(files[name]) != expected:
            check.problems.append(f"member {name} differs from the manifest (its sha256 changed)")
    for name in sorted(set(files) - set(listed) - {MANIFEST, SIGNATURE}):
        check.problems.append(f"member {name} is not in the manifest")
    if not check.problems:
        _check_cross_references(files, manifest, check)
    return check


def _check_signature(
    files: dict[str, bytes], check: BundleCheck, key: str | None
) -> dict[str, Any] | None:
    try:
        signed = json.loads(files[SIGNATURE])
        public = base64.b64decode(signed["public_key"], validate=True)
        signature = base64.b64decode(signed["signature"], validate=True)
        manifest = json.loads(files[MANIFEST])
        # every field of the signature file is either verified or derived from signed content
        valid = (
            set(signed) == {"kind", "public_key", "fingerprint", "signature"}
            and verify_signature(public, signature, files[MANIFEST])
            and signed["fingerprint"] == fingerprint(public)
            and signed["kind"] == manifest.get("signer")
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        valid = False
    if not valid:
        check.problems.append(
            f"{MANIFEST} or {SIGNATURE} was changed: the signature does not verify"
        )
        return None
    check.signer = str(signed.get("kind", ""))
    check.fingerprint = fingerprint(public)
    if key and not same_fingerprint(key, check.fingerprint):
        check.problems.append(f"signed by key {check.fingerprint}, not by the expected key {key}")
    if manifest.get("format") != BUNDLE_FORMAT:
        check.problems.append(f"unknown bundle format {manifest.get('format')!r}")
        return None
    return manifest


def _check_cross_references(
    files: dict[str, bytes], manifest: dict[str, Any], check: BundleCheck
) -> None:
    """Members that must agree: record and manifest, audit entries and record, review and report."""
    problems = check.problems
    record = RunRecord.model_validate_json(files[RECORD])
    if record.run_id != manifest["run_id"]:
        problems.append(f"{RECORD} is of run {record.run_id}, not {manifest['run_id']}")
    recorded = {m.role: m.model_sha256 for m in record.models}
    for model in manifest["models"]:
        if recorded.get(model["role"]) != model["sha256"]:
            problems.append(f"the {model['role']} model's sha256 differs from {RECORD}")
    entries = [AuditEntry.model_validate_json(line) for line in files[AUDIT].splitlines() if line]
    if [{"seq": e.seq, "hash": e.hash} for e in entries] != manifest["audit_entries"]:
        problems.append(f"{AUDIT} does not hold the entries the manifest lists")
    head = manifest.get("audit_head")
    if head is not None and any(e.seq > head["seq"] for e in entries):
        problems.append(f"{AUDIT} holds entries after the anchored head")
    finished = [e for e in entries if e.action == "run.finished"]
    if finished and finished[-1].details.get("run_record_sha256") != _sha256(files[RECORD]):
        problems.append(f"{RECORD} is not the record the audit log saw when the run finished")
    if REVIEW in files:
        review = signoff.Review.model_validate_json(files[REVIEW])
        if review.state != manifest["review_state"]:
            problems.append(f"{REVIEW} state '{review.state}' differs from the manifest")
        body_hash = sha256_text(body_of(files[REPORT_HTML].decode("utf-8")))
        if review.state == "approved" and body_hash != review.body_sha256:
            problems.append(f"{REPORT_HTML} is not the report body that was approved")
        for step in review.steps:
            logged = [e for e in entries if e.action == f"review.{step.action}"]
            if not any(
                e.user == step.user and e.details.get("body_sha256") == step.body_sha256
                for e in logged
            ):
                problems.append(f"the '{step.action}' step of {REVIEW} has no matching audit entry")
