"""Two site-wide rules Django has no setting for; both first in MIDDLEWARE, so that they
cover every response: cached pages, static files, media and error pages."""

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext


class PermissionsPolicyMiddleware:
    """Refuses the browser features the site never uses (settings.PERMISSIONS_POLICY)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class RequestSizeLimitMiddleware:
    """413 for a request body larger than REQUEST_MAX_BYTES, before anything reads it.

    Django's DATA_UPLOAD_MAX_MEMORY_SIZE leaves uploaded files out of its count; this caps
    the whole body (an upload of up to 25 MB and its form). The proxy in front should
    have the same limit, so that such a body never reaches a worker.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body then
        if length > settings.REQUEST_MAX_BYTES:
            return HttpResponse(
                gettext("The request is too large."), status=413, content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)
