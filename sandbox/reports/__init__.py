"""Model-risk review reports (HTML + PDF) built from RunRecords, and their sign-off workflow."""

from sandbox.reports.builder import ReportResult, build_report
from sandbox.reports.signoff import Review, review_status, review_step

__all__ = ["ReportResult", "Review", "build_report", "review_status", "review_step"]
