"""Claim fact-checking workflow service: Django project package (settings, Celery app, urls)."""

from . import proxies  # noqa: F401 (registers its `check --deploy` warning)
from .celery import app as celery_app

__all__ = ["celery_app"]
