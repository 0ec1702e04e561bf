"""Cursor pagination everywhere: no COUNT(*), no OFFSET, stable under concurrent inserts."""

from rest_framework.pagination import CursorPagination


class CreatedCursorPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = 500


class IdCursorPagination(CreatedCursorPagination):
    ordering = ("id",)


class FeedCursorPagination(CreatedCursorPagination):
    """Verdicts in decision order; the id breaks ties between verdicts decided in the same instant."""

    ordering = ("decided_at", "id")
