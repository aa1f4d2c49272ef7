"""The public service's pages (terms, privacy policy, FAQ, contact), for the deployment and for each
municipality, and staff's editing of their texts. Everything under /pages/ stays open to a signed-in
person who has not accepted the terms in force (accounts.middleware)."""

from django.urls import path

from portal.views import pages

urlpatterns = [
    path("pages/contact/", pages.contact, name="contact"),
    path("pages/<slug:slug>/contact/", pages.contact, name="contact_municipality"),
    path("pages/<slug:slug>/contact/sent/", pages.contact_sent, name="contact_sent"),
    path("staff/pages/", pages.staff_pages, name="staff_pages"),
    path("staff/pages/<int:pk>/<str:kind>/", pages.staff_page_edit, name="staff_page_edit"),
]
for _kind in ("terms", "privacy", "faq"):
    urlpatterns += [
        path(f"pages/{_kind}/", pages.page, {"kind": _kind}, name=f"page_{_kind}"),
        path(
            f"pages/<slug:slug>/{_kind}/",
            pages.page,
            {"kind": _kind},
            name=f"page_{_kind}_municipality",
        ),
    ]
