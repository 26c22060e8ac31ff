"""FastAPI dependencies that hand out what the lifespan built (no globals, no import-time state).

They are ``async def`` on purpose: FastAPI runs plain ``def`` dependencies in its thread
pool, a thread hop per dependency per request for what is only an attribute lookup.
"""

from typing import Annotated

from fastapi import Depends, Request
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from api.photos.service import PhotoService
from api.ratelimit.repository import RateLimitRepository
from api.ratelimit.service import RateLimiter
from api.state import AppState, state_of
from api.triage.sla import SlaPolicy
from classifiers.routing.taxonomy import Taxonomy
from classifiers.routing.wards import WardIndex
from core.changes import ReportChanges
from core.settings import Settings


async def get_state(request: Request) -> AppState:
    return state_of(request.app)


StateDep = Annotated[AppState, Depends(get_state)]


async def get_settings(state: StateDep) -> Settings:
    return state.settings


async def get_client(state: StateDep) -> AsyncMongoClient:
    return state.client


async def get_db(state: StateDep) -> AsyncDatabase:
    return state.db


async def get_taxonomy(state: StateDep) -> Taxonomy:
    return state.taxonomy


async def get_wards(state: StateDep) -> WardIndex:
    return state.wards


async def get_sla(state: StateDep) -> SlaPolicy:
    return state.sla


async def get_report_changes(state: StateDep) -> ReportChanges:
    return state.report_changes


SettingsDep = Annotated[Settings, Depends(get_settings)]
MongoClientDep = Annotated[AsyncMongoClient, Depends(get_client)]
ReportChangesDep = Annotated[ReportChanges, Depends(get_report_changes)]
DatabaseDep = Annotated[AsyncDatabase, Depends(get_db)]
TaxonomyDep = Annotated[Taxonomy, Depends(get_taxonomy)]
WardsDep = Annotated[WardIndex, Depends(get_wards)]
SlaDep = Annotated[SlaPolicy, Depends(get_sla)]


async def get_photo_service(state: StateDep) -> PhotoService:
    return PhotoService(state.photo_store, state.photo_limits, state.photo_limiter)


PhotoServiceDep = Annotated[PhotoService, Depends(get_photo_service)]


async def get_rate_limiter(db: DatabaseDep, state: StateDep) -> RateLimiter:
    return RateLimiter(RateLimitRepository(db), state.rate_charges)


RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]
