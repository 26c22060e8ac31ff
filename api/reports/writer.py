"""The one way a report is written: intake's insert and every later versioned change.

A report change is more than its update. In one transaction it is: a compare-and-set on
the report's version (so two staff members never both win), the audit record of who did
what, the caller's own records that must exist exactly when the change does (a correction,
moved followers), and exactly one published ``ReportChange`` (the outbox and the change log
listen to it). Written out in every feature, one of those steps was bound to be forgotten
in the next; here each feature says *what* changes and the writer does the rest the same way.
The new documents of a change reach the server together, in one command before the commit
(``core.db.TransactionWrites``). New reports of concurrent requests share one transaction
(``IntakeGroups``).
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError, PyMongoError

from api.audit.repository import AuditDetails, AuditRepository
from api.errors import AppError, PreconditionFailed
from api.reports.repository import ReportRepository
from api.triage.workflow import SYSTEM
from core.batching import MicroBatcher
from core.changes import ChangeKind, ReportChange, ReportChanges
from core.db import TransactionWrites, run_in_transaction
from core.documents import Report, ReportPush

AlsoWrite = Callable[[Report, TransactionWrites], Awaitable[None]]
DetailsOf = AuditDetails | Callable[[Report], AuditDetails]


class Actor(Protocol):
    """Who made a change, as the audit log records it (a ``Principal``, or the system)."""

    @property
    def uid(self) -> str: ...

    @property
    def role(self) -> str: ...


@dataclass(frozen=True)
class SystemActor:
    """The service itself (periodic jobs): it has no uid, the audit log names it ``system``."""

    uid: str = SYSTEM
    role: str = SYSTEM


@dataclass(frozen=True)
class Audited:
    """The audit record a change leaves. ``details`` may be computed from the report before
    the change, for jobs that only see the report once they have claimed it."""

    action: str
    details: DetailsOf


@dataclass(frozen=True)
class ReportEdit:
    """What one change does to a report and what it leaves behind in the same transaction.

    ``kind`` None publishes nothing: only an internal note, which nobody outside the staff
    hears of and no statistic counts.
    """

    kind: ChangeKind | None
    fields: dict[str, Any]
    push: ReportPush | None = None
    audit: Audited | None = None
    public_note: str | None = None
    also: AlsoWrite | None = None


EditOf = Callable[[Report], ReportEdit]
"""A job's change that depends on the report it claims (the next escalation level and body)."""


@dataclass(frozen=True)
class NewReport:
    """One intake's report, when it was filed, and what its request writes with it (its
    photos, its idempotency record)."""

    report: Report
    at: datetime
    also: AlsoWrite | None = None


def require_version(report: Report, expected_version: int) -> None:
    """Preconditions first (RFC 9110): a stale view is 412 before any rule is checked (409, 403)."""
    if report["version"] != expected_version:
        raise PreconditionFailed()


class ReportWriter:
    def __init__(
        self, client: AsyncMongoClient, repo: ReportRepository, audit: AuditRepository, changes: ReportChanges
    ) -> None:
        self._client = client
        self._repo = repo
        self._audit = audit
        self._changes = changes

    async def create(self, new_reports: Sequence[NewReport]) -> None:
        """Intake: new reports, each with its ``received`` change and its caller's records, in one
        transaction: all of them or none.

        ``DuplicateKeyError`` (a replayed idempotency key, a code taken) reaches the caller.
        """

        async def write(session: AsyncClientSession) -> None:
            writes = TransactionWrites(session)
            for new in new_reports:
                self._repo.insert(new.report, writes)
                await self._changes.publish(ReportChange("received", None, new.report, new.at), writes)
                if new.also is not None:
                    await new.also(new.report, writes)
            await writes.flush()

        await run_in_transaction(self._client, write)

    async def update(
        self,
        report: Report,
        edit: ReportEdit,
        *,
        actor: Actor,
        at: datetime,
        expected_version: int | None,
        condition: dict[str, Any] | None = None,
        lost: Callable[[], AppError] = PreconditionFailed,
    ) -> Report:
        """Apply ``edit`` to ``report`` (as the caller read it) if its version is still
        ``expected_version`` (None: additive changes that cannot lose anyone's update) and
        ``condition`` holds; otherwise raise ``lost()``: by default 412, someone else changed it
        between our read and our write. Returns the report after the change."""

        async def write(session: AsyncClientSession) -> Report | None:
            updated = await self._repo.update_versioned(
                report["_id"], expected_version, edit.fields, edit.push, session, condition, known=report
            )
            if updated is not None:
                await self._follow_up(report, updated, edit, actor, at, TransactionWrites(session))
            return updated

        updated = await run_in_transaction(self._client, write)
        if updated is None:
            raise lost()
        return updated

    async def claim(self, query: dict[str, Any], edit: ReportEdit, at: datetime) -> Report | None:
        """Jobs: apply ``edit`` to one report still matching ``query``, as the system; None when
        none does. The claim is atomic, so any number of workers never change a report twice."""

        async def write(session: AsyncClientSession) -> Report | None:
            changed = await self._repo.claim_one_before(query, edit.fields, edit.push, session)
            if changed is None:
                return None
            before, after = changed
            await self._follow_up(before, after, edit, SystemActor(), at, TransactionWrites(session))
            return after

        return await run_in_transaction(self._client, write)

    async def claim_computed(self, query: dict[str, Any], edit_of: EditOf, at: datetime) -> Report | None:
        """Like ``claim``, for a change computed from the claimed report: read one report
        matching ``query``, compute its edit, and write it in the transaction that read it (a
        report changed meanwhile makes the write conflict, and the transaction reads again)."""

        async def write(session: AsyncClientSession) -> Report | None:
            before = await self._repo.first_matching(query, session)
            if before is None:
                return None
            edit = edit_of(before)
            after = await self._repo.write_read(before, edit.fields, edit.push, session)
            if after is None:
                return None  # deleted since the read: nothing left to change
            await self._follow_up(before, after, edit, SystemActor(), at, TransactionWrites(session))
            return after

        return await run_in_transaction(self._client, write)

    async def _follow_up(
        self,
        before: Report,
        after: Report,
        edit: ReportEdit,
        actor: Actor,
        at: datetime,
        writes: TransactionWrites,
    ) -> None:
        """What every change leaves besides its update, sent in one command."""
        if edit.also is not None:
            await edit.also(after, writes)
        if edit.audit is not None:
            details = edit.audit.details(before) if callable(edit.audit.details) else edit.audit.details
            self._audit.record(after["_id"], edit.audit.action, actor.uid, actor.role, at, details, writes)
        if edit.kind is not None:
            await self._changes.publish(ReportChange(edit.kind, before, after, at, edit.public_note), writes)
        await writes.flush()


class IntakeGroups:
    """Group commit of intake: the reports of concurrent requests written by one transaction.

    One per process (app state), one transaction in flight at a time. A report arriving while a
    group's transaction runs joins the next group, so a lone report is written at once and a
    storm's share the fixed cost of a transaction: on SecantusDB one transaction of 5 new
    reports (each with its change record, push event and idempotency record) cost 5.2-6.7 ms of
    its CPU per report against 9.5-10.0 alone (20 concurrent writers, 600 reports); in
    ``bench/intake.py`` text-only intake went from 41 to 46-52 reports/s. On MongoDB a group
    waits for one majority commit instead of one each. A group is all or nothing, so when one
    of its reports is refused (a replayed idempotency key: its first request's report exists)
    each is written again alone, and only the refused one fails; a failure of the database
    fails the whole group alike. The group runs on a task of its own: a report whose client
    hung up is still written, and the client's retry with its idempotency key gets it back.
    """

    def __init__(self, writer: ReportWriter, max_group: int) -> None:
        self._writer = writer
        self._groups = MicroBatcher(self._write_group, max_group)

    @property
    def group_sizes(self) -> list[int]:
        """How many reports each of the last 1000 transactions wrote (tests read it)."""
        return self._groups.batch_sizes

    async def create(self, new: NewReport) -> None:
        """Write ``new`` with the reports that arrive meanwhile; raises what refused it."""
        refusal = await self._groups.submit(new)
        if refusal is not None:
            raise refusal

    async def _write_group(self, group: list[NewReport]) -> list[PyMongoError | None]:
        try:
            await self._writer.create(group)
            return [None] * len(group)
        except DuplicateKeyError as refused:
            if len(group) == 1:
                return [refused]
        return [await self._alone(new) for new in group]

    async def _alone(self, new: NewReport) -> PyMongoError | None:
        try:
            await self._writer.create([new])
        except PyMongoError as failed:  # its own answer; the group's others are not held to it
            return failed
        return None
