from django.urls import path

from accounts import views

urlpatterns = [
    path("mypage/profile/", views.profile_edit, name="profile_edit"),
    path("accounts/consent/", views.consent, name="consent"),
]
