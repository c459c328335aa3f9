"""Request facts that security code shares: which pages are staff pages, and the client's IP."""

from __future__ import annotations

import functools
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse

STAFF_PREFIXES_WITHOUT_ADMIN = ("/staff/", "/ops/")


def staff_prefixes() -> tuple[str, ...]:
    return (f"/{settings.KIZUNA_ADMIN_PATH}", *STAFF_PREFIXES_WITHOUT_ADMIN)


def is_staff_path(path: str) -> bool:
    return path.startswith(staff_prefixes())


@functools.cache
def _trusted_networks(
    networks: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(network, strict=False) for network in networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The client's address: every rate limit, the lockout and the audit trail ask this.

    ``X-Forwarded-For`` is believed only as far as the configured proxies vouch for it, read from
    the right (each proxy appends the address that connected to it; anything further left is
    whatever the client chose to send). ``KIZUNA_TRUSTED_PROXY_NETWORKS``: step left past
    addresses inside these networks, starting from the one that connected to us;
    ``KIZUNA_TRUSTED_PROXY_HOPS``: at most this many proxies. Neither set: ``REMOTE_ADDR``.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    hops = settings.KIZUNA_TRUSTED_PROXY_HOPS
    networks = _trusted_networks(tuple(settings.KIZUNA_TRUSTED_PROXY_NETWORKS))
    if not hops and not networks:
        return remote[:45]
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    chain = [part for part in forwarded if part] + [remote]  # nearest last
    client = chain.pop()
    steps = 0
    while chain and (not hops or steps < hops):
        address = _address(client)
        if networks and (address is None or not any(address in net for net in networks)):
            break
        candidate = chain.pop()
        if _address(candidate) is None:  # a malformed entry: the proxy did not write it
            break
        client = candidate
        steps += 1
    return client[:45]


class StaffPagesCSPMiddleware:
    """Staff pages show HTML mail as it will arrive (inline styles in a sandboxed frame):
    allow inline styles there, never scripts. Parent pages keep the strict policy."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_staff_path(request.path_info):
            response._csp_update = {"style-src": ["'unsafe-inline'"]}
        return response
