"""Staff pages of reports (namespace "reports"), under /staff/reports/."""

from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.municipality, name="municipality"),
    path("<int:pk>/<int:fiscal_year>/", views.year, name="year"),
    path("<int:pk>/<int:fiscal_year>/report.pdf", views.year_pdf, name="year_pdf"),
    path("<int:pk>/<int:fiscal_year>/report.xlsx", views.year_xlsx, name="year_xlsx"),
    path("<int:pk>/<int:fiscal_year>/births/", views.save_births, name="save_births"),
    path("<int:pk>/births/import/", views.import_births, name="import_births"),
    path("<int:pk>/papers/", views.procurement, name="papers"),
    path("<int:pk>/papers.pdf", views.procurement_pdf, name="papers_pdf"),
]
