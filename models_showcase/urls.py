from django.urls import path

from models_showcase import views
from models_showcase.papers import views as paper_views

app_name = "models_showcase"

urlpatterns = [
    # Hub ids are owner/name; the name may hold dots (snowflake-arctic-embed-l-v2.0-ko).
    path("models/<str:owner>/<str:name>/", views.detail, name="detail"),
    path("datasets/<str:owner>/<str:name>/", views.detail, {"kind": "dataset"}, name="dataset"),
    path("spaces/<str:owner>/<str:name>/", views.detail, {"kind": "space"}, name="space"),
    path("publications.bib", paper_views.publications_bib, name="publications_bib"),
]
