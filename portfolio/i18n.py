"""Which language a response is in: the site's for visitors, the owner's own for the admin.

The public pages speak the language the owner chose in the profile (`Profile.language`):
one page, one language, whatever a visitor's browser asks — which also keeps the page
cache one entry per page. The admin (and the editor endpoints it calls) follows the person
using it: the language they picked with the switch in the admin's header (a cookie, set by
Django's `set_language` view), else their browser's `Accept-Language`, else LANGUAGE_CODE.
"""

from django.conf import settings
from django.core.cache import cache
from django.utils import translation
from django.utils.cache import patch_vary_headers

SITE_LANGUAGE_KEY = "site-language"


def site_language() -> str:
    """The profile's language; one shared-cache read, a query only when the cache has not got it."""
    language = cache.get(SITE_LANGUAGE_KEY)
    if language is None:
        from portfolio.models import Profile

        language = Profile.objects.values_list("language", flat=True).first() or settings.LANGUAGE_CODE
        remember_site_language(language)
    return language


def remember_site_language(language: str) -> None:
    """Called by Profile.save(): the next request speaks the new language on every worker."""
    # Expiring, not kept forever: if this write failed while the cache still answers reads, other
    # processes learn the new language from the database within minutes anyway.
    cache.set(SITE_LANGUAGE_KEY, language, timeout=300)


def _is_owner_path(path: str) -> bool:
    prefixes = (f"/{settings.ADMIN_URL}", "/markdownx/", "/i18n/")
    return path.startswith(prefixes)


class LanguageMiddleware:
    """Activates the language for the request (see the module's docstring); after sessions, before the views."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        owner_side = _is_owner_path(request.path_info)
        language = translation.get_language_from_request(request) if owner_side else site_language()
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        if owner_side:
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        translation.deactivate()
        return response
