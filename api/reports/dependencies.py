"""The reports feature's request-scoped collaborators, built from what the lifespan keeps.

Apart from ``api.deps`` (infrastructure) so that ``api.reports.access`` can use it without
an import cycle through intake.
"""

from typing import Annotated

from fastapi import Depends

from api.audit.repository import AuditRepository
from api.deps import DatabaseDep, PhotoServiceDep, RateLimiterDep, SettingsDep, StateDep
from api.duplicates.finder import DuplicateFinder, DuplicateRules
from api.idempotency.repository import IdempotencyRepository
from api.reports.repository import ReportRepository
from api.reports.service import ReportService
from api.reports.writer import ReportWriter


async def get_report_writer(state: StateDep) -> ReportWriter:
    return ReportWriter(state.client, ReportRepository(state.db), AuditRepository(state.db), state.report_changes)


ReportWriterDep = Annotated[ReportWriter, Depends(get_report_writer)]


async def get_report_service(
    state: StateDep,
    db: DatabaseDep,
    settings: SettingsDep,
    photos: PhotoServiceDep,
    rate_limiter: RateLimiterDep,
) -> ReportService:
    return ReportService(
        intake=state.report_intake,
        repo=ReportRepository(db),
        idempotency=IdempotencyRepository(db),
        photos=photos,
        rate_limiter=rate_limiter,
        taxonomy=state.taxonomy,
        wards=state.wards,
        settings=settings,
        codes=state.report_codes,
        classifier=state.report_classifier,
        sla=state.sla,
        duplicates=DuplicateFinder(ReportRepository(db), DuplicateRules.of(settings), state.duplicate_hot_cells),
    )


ReportServiceDep = Annotated[ReportService, Depends(get_report_service)]
