"""The visitor's IP address, for login throttling.

With no proxy in front (DJANGO_TRUSTED_PROXY_COUNT=0) it is the connection's
address; X-Forwarded-For is then ignored, because a client can send any value.
Behind N proxies that each append the address they received the request from,
X-Forwarded-For ends with [..., client, proxy 1, ..., proxy N-1] and the
connection comes from proxy N: the client is the N-th entry from the right.
Anything to the left of it was written by the client and is not trusted.
(django-ipware counts proxies differently depending on its settings; this rule,
the one werkzeug's ProxyFix uses, is short enough to state and test here.)
"""

from django.conf import settings


def client_ip(request) -> str | None:
    proxies = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR")
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return remote  # fewer hops than configured: the proxies are not all there, trust nothing forwarded
    return forwarded[-proxies]
