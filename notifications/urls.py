from django.urls import path

from notifications import views

urlpatterns = [
    path("mypage/notifications/", views.preferences_edit, name="notification_preferences"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="notifications_unsubscribe"),
]
