from django.urls import include, path
from rest_framework.routers import DefaultRouter

from shop import views

router = DefaultRouter()
router.register(r"orders", views.OrderViewSet)

urlpatterns = [
    path("products/search", views.search),
    path("profiles/<int:user_id>/edit", views.edit_profile),
    path("admin-reports/", views.AdminReportView.as_view()),
    path("internal/export/", views.ExportView.as_view()),
    path("calc", views.calculate),
    path("feedback", views.feedback),
    path("", include(router.urls)),
]
