"""Builds the model-risk review report (HTML and PDF) from RunRecords only: the hashed body
(``sandbox.reports.body``) plus the sign-off section (``sandbox.reports.signoff``), written to the
tenant's report folder and logged to the run.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sandbox import tracking
from sandbox.audit import open_audit
from sandbox.config import Settings, load_settings
from sandbox.errors import PrerequisiteError, SandboxError
from sandbox.identity import Action
from sandbox.reports import signoff
from sandbox.reports.body import (
    SECTIONS,
    environment,
    load_record,
    render_body,
    report_dir,
    sha256_text,
    visible_text,
)

FORMATS = ("html", "pdf", "both")


@dataclass
class ReportResult:
    """What ``build_report`` wrote."""

    run_id: str
    html_path: Path | None
    pdf_path: Path | None
    body_sha256: str
    pages: int | None
    seconds: float
    compared_run_id: str | None


def build_report(
    run_id: str,
    *,
    compare: str | None = None,
    fmt: str = "both",
    settings: Settings | None = None,
    log_to_mlflow: bool = True,
) -> ReportResult:
    """Render the review report of a run (optionally against another run) and store it.

    Files go to ``<home>/reports/<tenant>/<run id>/report.{html,pdf}`` and, unless disabled, to
    the run's MLflow artifacts under ``report/``. Every visible string passes the privacy guard.

    Raises:
        SandboxError: unknown run, another tenant's run, a changed figure, or personal data in
            the text; the message says what to do.
    """
    from sandbox.privacy.guard import WriteGuard

    if fmt not in FORMATS:
        raise SandboxError(f"unknown format '{fmt}'; choose one of {', '.join(FORMATS)}")
    settings = settings or load_settings()
    settings.identity.require(Action.READ_RUNS)
    t0 = time.perf_counter()
    record = load_record(settings, run_id)
    compared = load_record(settings, compare) if compare else None
    if compared is not None and compared.run_id == record.run_id:
        compared = None
    body = render_body(settings, record, compared)
    review = signoff.load_review(settings, record.run_id)
    document = (
        environment()
        .get_template("report.html.j2")
        .render(
            record=record,
            body=body,
            review=review,
            review_check=signoff.check_review(settings, review, record, body) if review else None,
            section=SECTIONS[15],
            generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            generated_by=settings.identity,
            audit_head=open_audit(settings).head(),
        )
    )
    # The tracking store's address is exempt by name in the RunRecord (a server on loopback
    # reads as an IP address); its cell in the report is the same field.
    exempt = {record.tracking_uri}
    WriteGuard(settings).check_payload(
        [text for text in visible_text(document) if text.strip() not in exempt],
        f"report of run {record.run_id}",
    )
    out = report_dir(settings, record.run_id)
    out.mkdir(parents=True, exist_ok=True)
    html_path = out / "report.html"
    html_path.write_text(document, encoding="utf-8")
    pdf_path: Path | None = None
    pages: int | None = None
    if fmt in ("pdf", "both"):
        pdf_path, pages = _write_pdf(document, out / "report.pdf")
    if fmt == "pdf":
        # The HTML stays on disk (the PDF's source) but only the PDF is logged.
        pass
    # Against a server only the bank's data scientists write to runs; a validator's or officer's
    # rebuilt report stays in their sandbox home (the review state itself is on the server).
    if log_to_mlflow and (
        settings.server_url is None or settings.identity.can(Action.RUN_EXPERIMENT)
    ):
        client = tracking.configure(settings)
        paths = [html_path] if fmt in ("html", "both") else []
        if pdf_path is not None:
            paths.append(pdf_path)
        for path in paths:
            client.log_artifact(record.run_id, str(path), artifact_path="report")
        client.set_tag(record.run_id, "report.body_sha256", sha256_text(body))
    return ReportResult(
        run_id=record.run_id,
        html_path=html_path,
        pdf_path=pdf_path,
        body_sha256=sha256_text(body),
        pages=pages,
        seconds=round(time.perf_counter() - t0, 2),
        compared_run_id=compared.run_id if compared else None,
    )


def _write_pdf(document: str, path: Path) -> tuple[Path, int]:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: Pango/HarfBuzz libraries missing
        raise PrerequisiteError(
            f"PDF rendering needs WeasyPrint and its system libraries ({exc}); install "
            "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 (see README) or use "
            "--format html"
        ) from None
    rendered = HTML(string=document, base_url=str(path.parent)).render()
    rendered.write_pdf(str(path))
    return path, len(rendered.pages)


def escape(text: str) -> str:
    return html.escape(text)
