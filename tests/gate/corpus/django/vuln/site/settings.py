"""Settings of the shop."""

import os

SECRET_KEY = "django-insecure-7c2%w!b3nq0ps@xk9l#1vh$4"  # VULN: hardcoded-secret
DEBUG = os.environ.get("SHOP_DEBUG") == "1"
ROOT_URLCONF = "site.urls"
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "rest_framework", "shop"]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"]}
