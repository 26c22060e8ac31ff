"""The service's vocabulary: who acts (roles) and where a report stands (statuses).

``StrEnum`` members are the strings stored in MongoDB and sent in JSON, so a member and its
value compare and hash alike; the point is one spelling and one name per group of roles,
instead of the same tuple written out (and drifting) in each feature.
"""

from enum import StrEnum


class Role(StrEnum):
    """A caller's role, from the Firebase custom claims (``resident`` when there is none)."""

    RESIDENT = "resident"
    AGENCY_STAFF = "agency_staff"
    TRIAGE_OFFICER = "triage_officer"
    LEADERSHIP = "leadership"
    ADMIN = "admin"


STAFF_ROLES = (Role.AGENCY_STAFF, Role.TRIAGE_OFFICER, Role.LEADERSHIP, Role.ADMIN)
WORKING_ROLES = (Role.AGENCY_STAFF, Role.TRIAGE_OFFICER, Role.ADMIN)
"""Staff who move reports through the workflow (leadership only watches)."""
CITY_WIDE_ROLES = (Role.TRIAGE_OFFICER, Role.LEADERSHIP, Role.ADMIN)
"""See every report, the escalations and the city-wide statistics (agency staff: their agency's)."""
TRIAGE_ROLES = (Role.TRIAGE_OFFICER, Role.ADMIN)
"""Route, reject at once and close; the only staff who learn who filed a report."""


class Status(StrEnum):
    """Where a report stands; ``api.triage.workflow`` says which may follow which."""

    RECEIVED = "received"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    REOPENED = "reopened"


STATUSES = tuple(Status)
OPEN_STATUSES = (Status.RECEIVED, Status.ASSIGNED, Status.IN_PROGRESS, Status.REOPENED)
"""Someone still has to act: queued, with a deadline, may be followed or merged."""
