"""`/`: a small page that says what this is and links the admin, the API docs and the health check, so a
browser pointed at the server's root finds its way (instead of a 404)."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def home(request):
    return render(request, "home.html")
