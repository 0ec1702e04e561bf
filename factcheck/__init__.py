"""Claim fact-checking workflow service: Django project package (settings, Celery app, urls)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
