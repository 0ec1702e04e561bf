"""Bases for admin pages of rows that only the pipeline and the services write."""

from __future__ import annotations

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never added or edited by hand (a staff user may still delete)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class RecordAdmin(ReadOnlyAdmin):
    """A record nobody removes by hand either (claims, verdicts, assignments)."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
