"""The GeoReport v2 service discovery document of this server."""

from api.open311.schemas import DiscoveryOut, EndpointOut
from core.settings import Settings

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-01-01T00:00:00+07:00"  # bump when the services or their behaviour change
KEY_SERVICE = "API keys are issued by the city's operators (`phananh apikey create --name ORG`)."


def discovery(endpoint_url: str, settings: Settings) -> DiscoveryOut:
    return DiscoveryOut(
        changeset=CHANGESET,
        contact=f"Open311 endpoint of {settings.open311_jurisdiction_id}",
        key_service=KEY_SERVICE,
        endpoints=[
            EndpointOut(
                specification=SPECIFICATION,
                url=endpoint_url,
                changeset=CHANGESET,
                type="production" if not settings.is_dev else "test",
                formats=["text/xml", "application/json"],
            )
        ],
    )
