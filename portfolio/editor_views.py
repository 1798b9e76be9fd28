"""The markdownx editor's two endpoints, for staff only.

django-markdownx 4.0.11's own views check no login (only CSRF, which any visitor
can satisfy), return unsanitized HTML, trust the browser's content type, keep
the client's file extension and answer a missing field or an SVG with a 500.
These replace them at the same paths, so the editor widget needs no change.
"""

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portfolio.images import sanitize_image
from portfolio.markdown import render_markdown


@require_POST
@staff_member_required
def markdownify(request):
    """The editor's live preview, rendered exactly as the public page renders it."""
    content = request.POST.get("content")
    if content is None:
        return HttpResponseBadRequest("Missing 'content'.", content_type="text/plain; charset=utf-8")
    return HttpResponse(render_markdown(content))


@require_POST
@staff_member_required
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
