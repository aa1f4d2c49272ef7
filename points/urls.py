from django.urls import path

from points import views

urlpatterns = [
    path("mypage/points/", views.wallet, name="points_wallet"),
    path("mypage/points/qr/<str:code>.svg", views.wallet_qr, name="points_wallet_qr"),
    path("staff/points/ledger/", views.ledger, name="points_ledger"),
    path("staff/points/ledger/export.<str:fmt>", views.ledger_export, name="points_ledger_export"),
    path("staff/points/redeem/", views.redeem, name="points_redeem"),
    path("staff/points/issuer/", views.issuer_settings, name="points_issuer"),
    path("staff/points/reconcile/", views.reconcile, name="points_reconcile"),
    path("staff/points/codes/", views.point_codes, name="points_codes"),
    path(
        "staff/points/codes/export.<str:fmt>", views.point_codes_export, name="points_codes_export"
    ),
    path(
        "staff/points/reconcile/<int:pk>/retry/",
        views.reconcile_retry,
        name="points_reconcile_retry",
    ),
]
