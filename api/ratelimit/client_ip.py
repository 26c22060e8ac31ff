"""The client's IP address, as rate limits must see it.

The socket peer is the client unless the peer is one of ``PHANANH_TRUSTED_PROXIES``: only
then is ``X-Forwarded-For`` read, right to left, skipping the trusted hops, so a client
cannot pick its own address by sending the header itself.
"""

import ipaddress
from functools import lru_cache

from starlette.requests import HTTPConnection

from api.state import state_of

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=16)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in trusted)


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def resolve_client_ip(peer: str | None, forwarded_for: str | None, trusted: tuple[str, ...]) -> str:
    """The first address, from the right, that is not a trusted proxy (the peer when none is trusted)."""
    address = peer or "unknown"
    networks = _networks(trusted)
    if not networks or not _is_trusted(address, networks) or not forwarded_for:
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        try:
            address = str(ipaddress.ip_address(hop))
        except ValueError:
            return address  # garbage in the chain: charge the proxy that passed it on, not a forgeable name
        if not _is_trusted(address, networks):
            return address
    return address


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def client_ip(connection: HTTPConnection) -> str:
    settings = state_of(connection.app).settings
    peer = connection.client.host if connection.client else None
    return resolve_client_ip(peer, connection.headers.get("x-forwarded-for"), tuple(settings.trusted_proxies))
