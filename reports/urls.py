from django.urls import path

from reports import views

urlpatterns = [
    path("staff/monthly/", views.staff_monthly_reports, name="staff_monthly_reports"),
    path(
        "staff/monthly/request/",
        views.staff_monthly_report_request,
        name="staff_monthly_report_request",
    ),
    path(
        "staff/monthly/runs/<int:pk>/",
        views.staff_monthly_report_run,
        name="staff_monthly_report_run",
    ),
    path("staff/monthly/<int:pk>/", views.staff_monthly_report, name="staff_monthly_report"),
    path(
        "staff/monthly/<int:pk>/charts/<slug:name>.svg",
        views.staff_monthly_report_chart,
        name="staff_monthly_report_chart",
    ),
    path(
        "staff/monthly/<int:pk>/export.<slug:extension>",
        views.staff_monthly_report_export,
        name="staff_monthly_report_export",
    ),
    path("monthly/<slug:slug>/", views.monthly_summary, name="monthly_summary"),
]
