"""The markdownx editor's two endpoints, for staff who may edit a markdown field.

django-markdownx 4.0.11's own views check no login (only CSRF, which any visitor
can satisfy), return unsanitized HTML, trust the browser's content type, keep
the client's file extension and answer a missing field or an SVG with a 500.
These replace them at the same paths, so the editor widget needs no change.

Who may use them: the widget posts without saying which object it edits, so a
user must be allowed to add or change at least one model with a markdown field.
Anyone else gets a bare 403, whatever the method: no redirect to a login page,
which would name the admin's (possibly secret) path.
"""

from functools import wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portfolio.images import sanitize_image
from portfolio.markdown import MARKDOWN_MAX_LENGTH, MarkdownTooSlow, render_markdown

# Adding or changing any one of the models whose admin forms carry the markdown editor.
EDITOR_PERMISSIONS = (
    "models_showcase.add_modelcard",
    "models_showcase.change_modelcard",
    "portfolio.add_profile",
    "portfolio.change_profile",
    "contributions.add_contributiongroup",
    "contributions.change_contributiongroup",
    "contributions.add_contribution",
    "contributions.change_contribution",
)


def editors_only(view):
    """403 for everyone but active staff who may add or change a model with a markdown field.

    Checked before the method, so a visitor's GET learns nothing more than a POST does.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not (user.is_active and user.is_staff and any(user.has_perm(name) for name in EDITOR_PERMISSIONS)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


@editors_only
@require_POST
def markdownify(request):
    """The editor's live preview, rendered exactly as the public page renders it."""
    content = request.POST.get("content")
    if content is None:
        return HttpResponseBadRequest("Missing 'content'.", content_type="text/plain; charset=utf-8")
    # Bounded like a save: no field takes more, and a slow render is stopped (portfolio/markdown.py).
    if len(content) > MARKDOWN_MAX_LENGTH:
        message = _("The preview shows at most %(limit)s characters; this text has %(length)s.") % {
            "limit": f"{MARKDOWN_MAX_LENGTH:,}",
            "length": f"{len(content):,}",
        }
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
    try:
        html = render_markdown(content)
    except MarkdownTooSlow as error:
        return HttpResponseBadRequest(str(error.message), content_type="text/plain; charset=utf-8")
    return HttpResponse(html)


@editors_only
@require_POST
def upload(request):
    """An image dropped into the editor: checked, re-encoded at most 1600 px, stored; answers the markdown to insert."""
    image = request.FILES.get("image")
    if image is None:
        return JsonResponse({"image": [_("Choose an image to upload.")]}, status=400)
    try:
        clean = sanitize_image(image)
    except ValidationError as error:
        return JsonResponse({"image": error.messages}, status=400)
    name = default_storage.save(f"{settings.MARKDOWNX_MEDIA_PATH}{clean.name}", clean)
    return JsonResponse({"image_code": f"![]({default_storage.url(name)})"})
