"""The admin index overview: what waits for review, what was decided per day and label, and how long
claims wait from submission to a final verdict, overall and per reviewer, as server-rendered SVG charts
(no JavaScript, nothing loaded from elsewhere)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from claims.models import VerdictLabel
from reviewers import labels, queues
from reviewers.models import Verdict

COLOURS = labels.COLOURS
QUEUE_COLOURS = {
    queues.UNASSIGNED: "#417690",
    queues.MINE: "#79aec8",
    queues.SECOND_REVIEW: "#d08a00",
    queues.ESCALATED: labels.COLOURS[VerdictLabel.DISPUTED],
}
DAYS = 14


class Median(Aggregate):
    """PostgreSQL's percentile_cont(0.5), which works on intervals too."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


@dataclass
class Overview:
    waiting: list[tuple[str, str, int]]
    per_day: list[tuple[date, dict[str, int]]]
    median_hours: float | None
    per_reviewer: list[tuple[str, int, float | None]]


def hours(duration: timedelta | None) -> float | None:
    return None if duration is None else duration.total_seconds() / 3600


def collect(user) -> Overview:
    """A few aggregate queries; cheap enough for every visit of the admin index."""
    counts = queues.counts(user)
    waiting = [(name, queues.QUEUES[name], counts[name]) for name in QUEUE_COLOURS]

    today = timezone.localdate()
    first = today - timedelta(days=DAYS - 1)
    final = Verdict.objects.final()
    rows = (
        final.filter(decided_at__date__gte=first)
        .annotate(day=TruncDate("decided_at"))
        .values("day", "label")
        .annotate(n=Count("id"))
    )
    by_day: dict[date, dict[str, int]] = {first + timedelta(days=i): {} for i in range(DAYS)}
    for row in rows:
        by_day.setdefault(row["day"], {})[row["label"]] = row["n"]

    waited = ExpressionWrapper(
        F("decided_at") - F("claim__article__created_at"), output_field=DurationField()
    )
    median = final.aggregate(m=Median(waited, output_field=DurationField()))["m"]
    per_reviewer = (
        final.values("reviewer__username")
        .annotate(n=Count("id"), m=Median(waited, output_field=DurationField()))
        .order_by("-n", "reviewer__username")[:10]
    )
    return Overview(
        waiting=waiting,
        per_day=sorted(by_day.items()),
        median_hours=hours(median),
        per_reviewer=[(r["reviewer__username"], r["n"], hours(r["m"])) for r in per_reviewer],
    )


def format_hours(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 1:
        return f"{round(value * 60)} min"
    if value < 48:
        return f"{value:.1f} h"
    return f"{value / 24:.1f} days"


def hbar_chart(rows: list[tuple[str, float, str, str]], *, title: str, width: int = 460) -> SafeString:
    """Horizontal bars: (label, value, shown value, colour) per row. `title` names the chart for screen
    readers, which also read each bar's label and value."""
    top = max((value for _, value, _, _ in rows), default=0) or 1
    row_h, label_w = 24, 210
    bar_w = width - label_w - 70
    bars = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="end" font-size="12" fill="currentColor">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="16" rx="2" fill="{}"><title>{}: {}</title></rect>'
        '<text x="{}" y="{}" font-size="12" fill="currentColor">{}</text>',
        (
            (
                label_w - 6,
                i * row_h + 13,
                label,
                label_w,
                i * row_h + 1,
                max(1, round(bar_w * value / top)),
                colour,
                label,
                shown,
                label_w + max(1, round(bar_w * value / top)) + 4,
                i * row_h + 13,
                shown,
            )
            for i, (label, value, shown, colour) in enumerate(rows)
        ),
    )
    height = max(row_h, row_h * len(rows))
    summary = "; ".join(f"{label}: {shown}" for label, _, shown, _ in rows)
    return format_html(
        '<svg role="img" aria-label="{}" width="{}" height="{}" viewBox="0 0 {} {}" '
        'xmlns="http://www.w3.org/2000/svg">{}</svg>',
        f"{title}. {summary}" if summary else title,
        width,
        height,
        width,
        height,
        bars,
    )


def stacked_days_chart(
    per_day: list[tuple[date, dict[str, int]]], *, title: str, width: int = 460
) -> SafeString:
    """Vertical bars per day, stacked by label; `title` names the chart for screen readers."""
    height, bottom, left = 170, 20, 26
    top = max((sum(counts.values()) for _, counts in per_day), default=0) or 1
    slot = (width - left) / max(1, len(per_day))
    plot_h = height - bottom - 8
    parts = []
    for i, (day, counts) in enumerate(per_day):
        x = left + i * slot + 2
        y: float = height - bottom
        for label in VerdictLabel.values:
            n = counts.get(label, 0)
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{} {}: {}</title></rect>',
                    round(x, 1),
                    round(y, 1),
                    round(slot - 4, 1),
                    round(h, 1),
                    COLOURS[label],
                    day.isoformat(),
                    label,
                    n,
                )
            )
        if i % 2 == 0 or len(per_day) <= 7:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="currentColor">{}</text>',
                    round(x + (slot - 4) / 2, 1),
                    height - 6,
                    day.strftime("%d.%m"),
                )
            )
    axis = format_html(
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999"/>'
        '<text x="0" y="16" font-size="10" fill="currentColor">{}</text>',
        left,
        height - bottom,
        width,
        height - bottom,
        top,
    )
    total = sum(sum(counts.values()) for _, counts in per_day)
    return format_html(
        '<svg role="img" aria-label="{}" width="{}" height="{}" viewBox="0 0 {} {}" '
        'xmlns="http://www.w3.org/2000/svg">{}{}</svg>',
        f"{title}: {total} in all",
        width,
        height,
        width,
        height,
        axis,
        format_html_join("", "{}", ((p,) for p in parts)),
    )


def charts(user) -> dict:
    data = collect(user)
    return {
        "waiting_chart": hbar_chart(
            [(label, n, str(n), QUEUE_COLOURS[name]) for name, label, n in data.waiting],
            title="Claims awaiting review per queue",
        ),
        "waiting": data.waiting,
        "per_day_chart": stacked_days_chart(data.per_day, title=f"Final verdicts per day, last {DAYS} days"),
        "decided_total": sum(sum(c.values()) for _, c in data.per_day),
        "median": format_hours(data.median_hours),
        "per_reviewer_count_chart": hbar_chart(
            [(name, n, str(n), "#417690") for name, n, _ in data.per_reviewer],
            title="Final verdicts per reviewer",
        ),
        "per_reviewer_median_chart": hbar_chart(
            [(name, m or 0, format_hours(m), "#79aec8") for name, _, m in data.per_reviewer],
            title="Median time to verdict per reviewer",
        ),
        "has_reviewers": bool(data.per_reviewer),
        "legend": [(VerdictLabel(label).label, colour) for label, colour in COLOURS.items()],
        "days": DAYS,
    }
