"""The statistics listener: every report change becomes ``$inc``s on the day's rollups.

Called inside the report's transaction with its session, so the counters commit or abort
with the change itself and always equal what the reports say.
"""

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from api.changes import ReportChange
from api.stats.metrics import by_document, change_increments, city_day, new_increments, state_of, without_zeros
from api.stats.repository import StatsRepository


class RollupListener:
    def __init__(self, db: AsyncDatabase) -> None:
        self._repo = StatsRepository(db)

    async def on_report_change(self, change: ReportChange, session: AsyncClientSession) -> None:
        before = state_of(change.before) if change.before is not None else None
        stars = (change.after.get("rating") or {}).get("stars") if change.kind == "rating" else None
        increments = change_increments(change.kind, before, state_of(change.after), change.at, stars)
        await self._repo.apply(without_zeros(by_document(city_day(change.at), increments, new_increments())), session)
