"""A bare Django site, the floor of bench/pages.py: startproject's middleware and one small form
with a CSRF token (GET renders it, POST validates it and redirects), DEBUG off, no database.

Settings, URLs and the WSGI application in one module:
``DJANGO_SETTINGS_MODULE=bare_site gunicorn --chdir bench bare_site:application``.
"""

from django import forms
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path

SECRET_KEY = "bench-bare-site-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = __name__
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "loaders": [
                (
                    "django.template.loaders.locmem.Loader",
                    {
                        "form.html": (
                            "<!doctype html><title>form</title><form method='post'>"
                            "{% csrf_token %}{{ form }}<button>send</button></form>"
                        )
                    },
                )
            ],
        },
    }
]
DATABASES: dict = {}
USE_TZ = True


class SmallForm(forms.Form):
    email = forms.EmailField()
    name = forms.CharField(max_length=30, required=False)
    consent = forms.BooleanField()


def form_view(request: HttpRequest) -> HttpResponse:
    form = SmallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return redirect("/done/")
    return render(request, "form.html", {"form": form})


urlpatterns = [path("", form_view)]

application = get_wsgi_application()
