"""The portal's URLs plus the floors: bare views that do the same work with one raw SQL query."""

from django.urls import path

from bench import floors
from config.urls import urlpatterns as portal_urlpatterns

urlpatterns = [
    path("_bench/floor/home/", floors.home),
    path("_bench/floor/programs/", floors.program_list),
    path("_bench/floor/programs/<int:pk>/", floors.program_detail),
    *portal_urlpatterns,
]
