"""Request-wide plumbing: request id, client address, API access log and page CSP."""

import ipaddress
import logging
import re
import time
import uuid

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import is_valid_path

api_log = logging.getLogger("controlpanel.api")

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,128}$")


# A proxy on the same host (the default deployment: nginx in front of gunicorn on loopback).
DEFAULT_TRUSTED_PROXIES = ("127.0.0.0/8", "::1")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def proxy_networks(entries) -> tuple[Network, ...]:
    """``TRUSTED_PROXIES`` entries (IP addresses or CIDR networks) as networks; a bad entry is a configuration error."""
    networks = []
    for entry in entries:
        text = str(entry).strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(f"TRUSTED_PROXIES: {text!r} is not an IP address or network") from exc
    return tuple(networks)


_DEFAULT_NETWORKS = proxy_networks(DEFAULT_TRUSTED_PROXIES)


def is_trusted_proxy(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


def client_address(meta: dict, trusted_hops: int, trusted_proxies: tuple[Network, ...] = _DEFAULT_NETWORKS) -> str:
    """The client's address, trusting exactly ``trusted_hops`` proxies in front of us.

    With 0 hops the socket address is the client and ``X-Forwarded-For`` is ignored, so a
    spoofed header never changes a rate-limit key. With N hops, the Nth address from the
    right of ``X-Forwarded-For`` is the client (each trusted proxy appends one entry), but
    only when the connection comes from one of ``trusted_proxies``: a client that reaches
    the app directly is keyed by its socket address whatever header it sends.
    """
    remote = meta.get("REMOTE_ADDR", "") or "unknown"
    if trusted_hops <= 0 or not is_trusted_proxy(remote, trusted_proxies):
        return remote
    forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < trusted_hops:
        return forwarded[0] if forwarded else remote
    return forwarded[-trusted_hops]


class RequestContextMiddleware:
    """Gives every request an id and a client address, and logs each API call once.

    The id is taken from the client's ``X-Request-ID`` when it is well formed, else made
    here; it is echoed on every response. The log line carries method, route pattern,
    status, duration, user id and request id, never headers or bodies.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.trusted_hops = settings.TRUSTED_PROXY_HOPS
        self.trusted_proxies = proxy_networks(getattr(settings, "TRUSTED_PROXIES", DEFAULT_TRUSTED_PROXIES))

    def __call__(self, request):
        started = time.perf_counter()
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = incoming if REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        request.client_ip = client_address(request.META, self.trusted_hops, self.trusted_proxies)
        if "HTTP_X_FORWARDED_PROTO" in request.META and not (
                self.trusted_hops > 0 and is_trusted_proxy(request.META.get("REMOTE_ADDR", ""), self.trusted_proxies)):
            # Only a trusted proxy says the client's connection was HTTPS (SECURE_PROXY_SSL_HEADER):
            # from anyone else the header would make a plain-HTTP request look secure.
            del request.META["HTTP_X_FORWARDED_PROTO"]
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        headers = getattr(request, "ratelimit_headers", None)
        if headers:
            for name, value in headers.items():
                response[name] = value
        if request.path_info.startswith("/api/"):
            duration_ms = (time.perf_counter() - started) * 1000
            user = getattr(request, "user", None)
            match = getattr(request, "resolver_match", None)
            api_log.info(
                "api_call",
                extra={
                    "event": "api_call",
                    "method": request.method,
                    "route": "/" + match.route if match else None,
                    "status": response.status_code,
                    "duration_ms": round(duration_ms, 2),
                    "user_id": user.pk if user is not None and user.is_authenticated else None,
                    "request_id": request.request_id,
                },
            )
        return response


class ApiTrailingSlashMiddleware:
    """Serves every API route with and without its trailing slash, with no redirect.

    ``POST /api/v1/auth/login`` is ``POST /api/v1/auth/login/``: an API path under ``/api/``
    that does not resolve, but does with a slash appended, gets the slash here, before
    ``CommonMiddleware`` would answer it with a redirect that loses a POST or PUT body. The
    request then resolves to the one route (so logs and telemetry label both forms alike);
    pages keep ``APPEND_SLASH``'s redirect.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith("/api/") and not path.endswith("/"):
            urlconf = getattr(request, "urlconf", None)
            if not is_valid_path(path, urlconf) and is_valid_path(f"{path}/", urlconf):
                request.path_info = f"{path}/"
                request.path = f"{request.path}/"
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """A strict CSP on every HTML response: no inline script, nothing from other origins."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.setdefault("Content-Security-Policy", self.policy)
        return response
