"""Model-risk review reports (HTML + PDF) built from RunRecords, and their sign-off workflow.

Modules depend one way: ``body`` (the hashed report body) <- ``signoff`` (review state, hashes,
champion promotion) <- ``builder`` (the whole document with its sign-off section).
"""

from __future__ import annotations

from sandbox.config import Settings
from sandbox.reports.builder import ReportResult, build_report
from sandbox.reports.signoff import Review, apply_review_step, review_status

__all__ = ["ReportResult", "Review", "build_report", "review_status", "review_step"]


def review_step(
    run_id: str,
    action: str,
    *,
    comment: str,
    model_role: str | None = None,
    settings: Settings | None = None,
    rebuild_report: bool = True,
) -> Review:
    """Take one review step (see :func:`sandbox.reports.signoff.apply_review_step`), then, unless
    ``rebuild_report`` is False, rebuild the run's report so that its sign-off section shows the
    new state (tens of seconds for the PDF; `sandbox report RUN` rebuilds it later)."""
    review = apply_review_step(
        run_id, action, comment=comment, model_role=model_role, settings=settings
    )
    if rebuild_report:
        build_report(review.run_id, compare=review.compare_run_id, settings=settings)
    return review
