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
) -> Review:
    """Take one review step (see :func:`sandbox.reports.signoff.apply_review_step`), then rebuild
    the run's report so that its sign-off section shows the new state."""
    review = apply_review_step(
        run_id, action, comment=comment, model_role=model_role, settings=settings
    )
    build_report(review.run_id, compare=review.compare_run_id, settings=settings)
    return review
