"""Open311 GeoReport v2 documents (a leaf module). Field names and order are the spec's own.

The same models give the JSON body and, through ``formats.to_xml``, the XML one, so the two
formats cannot drift apart.
"""

from typing import Literal

from pydantic import BaseModel, Field

Format = Literal["json", "xml"]


class Open311ErrorOut(BaseModel):
    code: int = Field(description="The HTTP status")
    description: str


class EndpointOut(BaseModel):
    specification: str
    url: str
    changeset: str
    type: Literal["production", "test"]
    formats: list[str]


class DiscoveryOut(BaseModel):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[EndpointOut]


class ServiceOut(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool = Field(description="true when the service has attributes (GET services/{service_code})")
    type: Literal["realtime", "batch", "blackbox"] = "realtime"
    keywords: str
    group: str


class AttributeValueOut(BaseModel):
    key: str
    name: str


class AttributeOut(BaseModel):
    variable: bool = True
    code: str
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
    required: bool
    datatype_description: str | None = None
    order: int
    description: str
    values: list[AttributeValueOut] = []


class ServiceDefinitionOut(BaseModel):
    service_code: str
    attributes: list[AttributeOut]


class ServiceRequestOut(BaseModel):
    service_request_id: str = Field(description="The report's code, e.g. HN-2026-000123")
    status: Literal["open", "closed"]
    status_notes: str | None = Field(None, description="The latest public note of the handling agency")
    service_name: str | None = None
    service_code: str | None = Field(
        None, description="The category the report is handled under; while it awaits triage, the requester's pick"
    )
    description: str
    agency_responsible: str | None = None
    service_notice: str | None = None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None = Field(None, description="The resolve-by deadline of an open report")
    address: str | None = Field(None, description="The ward (never the requester's own address text)")
    address_id: str | None = None
    zipcode: str | None = None
    lat: float = Field(description="Snapped to a ~50 m grid: never the exact position")
    long: float
    media_url: str | None = None


class CreatedRequestOut(BaseModel):
    service_request_id: str
    token: str = Field(description="Also accepted by GET tokens/{token}")
    service_notice: str
    account_id: str | None = None


class TokenOut(BaseModel):
    service_request_id: str
    token: str
