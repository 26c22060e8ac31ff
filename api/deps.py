"""FastAPI dependencies that hand out what the lifespan built (no globals, no import-time state).

They are ``async def`` on purpose: FastAPI runs plain ``def`` dependencies in its thread
pool, a thread hop per dependency per request for what is only an attribute lookup.
"""

from typing import Annotated

from fastapi import Depends, Request
from pymongo.asynchronous.database import AsyncDatabase

from api.changes import ReportChanges
from api.photos.processing import PhotoLimits
from api.photos.service import PhotoService
from api.ratelimit.repository import RateLimitRepository
from api.ratelimit.service import RateLimiter
from api.settings import Settings
from classifiers.routing.taxonomy import Taxonomy


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_db(request: Request) -> AsyncDatabase:
    return request.app.state.db


async def get_taxonomy(request: Request) -> Taxonomy:
    return request.app.state.taxonomy


async def get_report_changes(request: Request) -> ReportChanges:
    return request.app.state.report_changes


SettingsDep = Annotated[Settings, Depends(get_settings)]
ReportChangesDep = Annotated[ReportChanges, Depends(get_report_changes)]
DatabaseDep = Annotated[AsyncDatabase, Depends(get_db)]
TaxonomyDep = Annotated[Taxonomy, Depends(get_taxonomy)]


async def get_photo_service(request: Request, settings: SettingsDep) -> PhotoService:
    limits = PhotoLimits(max_bytes=settings.max_photo_bytes, max_pixels=settings.max_photo_pixels,
                         display_long_side=settings.display_long_side, thumbnail_long_side=settings.thumbnail_long_side)
    return PhotoService(request.app.state.photo_store, limits, request.app.state.photo_limiter)


PhotoServiceDep = Annotated[PhotoService, Depends(get_photo_service)]


async def get_rate_limiter(db: DatabaseDep) -> RateLimiter:
    return RateLimiter(RateLimitRepository(db))


RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]
