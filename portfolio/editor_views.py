"""The markdownx editor's two endpoints, for staff only.

django-markdownx's own views check no login: anyone could render HTML through
the site or store files in media. The widget posts to these same paths.
"""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.http import require_POST
from markdownx.views import ImageUploadView

from portfolio.markdown import render_markdown


@require_POST
@staff_member_required
def markdownify(request):
    """The editor's live preview, rendered exactly as the public page renders it."""
    content = request.POST.get("content")
    if content is None:
        return HttpResponseBadRequest("Missing 'content'.", content_type="text/plain; charset=utf-8")
    return HttpResponse(render_markdown(content))


upload = require_POST(staff_member_required(ImageUploadView.as_view()))
