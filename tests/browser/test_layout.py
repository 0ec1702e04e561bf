"""Every admin page used in review holds its layout at the two window widths newsrooms use (1366 and 1920
px), with a day's realistic data: long German claims, a 636-claim article, failed providers, long URLs and
rationales, a disagreement, drafts, activity.

For each page and width, in Chromium (conftest.py): the page is no wider than the window, no element ends
beyond its right edge, nothing scrolls sideways inside a box, no text spills out of a badge, button or
cell, and the important elements do not overlap; axe-core finds no serious or critical accessibility
violation. A screenshot of each goes to test-artifacts/screenshots/ (CI keeps test-artifacts/).

axe-core is the npm package pinned in package.json / package-lock.json, installed by `make test` (npm ci)
and injected from node_modules/ into each page; nothing is fetched at run time. Without it the test skips
naming npm (and fails under CI=true).
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from claims.models import ArticleStatus, Claim, ClaimMatch, ClaimStatus
from reviewers.models import ClaimAction, ClaimEvent, Verdict
from reviewers.services import assign_claim, record_verdict, save_draft, send_back_claim
from tests.conftest import ARTIFACTS, REPO, make_user
from tests.factories import make_article, make_claim, make_source

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = ARTIFACTS / "screenshots"
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = [1366, 1920]

LONG_CLAIM = (
    "„Die Zahl der Verbindungen zwischen Madrid und Stockholm ist seit 2010 um ein Drittel gesunken, und die "
    "schnellste Zugverbindung dauert heute 36 Stunden mit fünf Umstiegen“, sagte Bernd Lucke am Mittwoch "
    "auf dem Dreikönigstreffen der Partei in Stuttgart, wo er außerdem behauptete, die "
    "Europäische Union habe für grenzüberschreitende Schnellfahrstrecken seit 2007 lediglich "
    "23,7 Milliarden Euro bereitgestellt."
)
LONG_URL = (
    "https://www.example-zeitung.de/politik/ausland/bahnverkehr-europa-nachtzuege-verbindungen-madrid-"
    "stockholm-analyse-der-fahrplaene-und-der-eu-foerderung-fuer-grenzueberschreitende-strecken-"
    "2019-2026-ausfuehrlich-mit-allen-zahlen.html?utm_source=newsletter&utm_medium=email"
)


def a_newsroom_day() -> dict[str, int]:
    """The rows the pages show, as a newsroom would have them after a day's work. Returns ids."""
    lead = make_user("lead", "leads", staff=True)
    alice = make_user("alice", "reviewers", staff=True)
    bob = make_user("bob", "reviewers", staff=True)
    User.objects.filter(pk=lead.pk).update(first_name="Lena", last_name="Lead")

    sentences = [
        "Mit Schnellzugtrassen durch Europa will die FDP zum Klimaschutz beitragen.",
        LONG_CLAIM,
        "Greta Thunberg hatte bei ihrer Rückreise vom UN-Klimagipfel nicht nur Probleme mit überfüllten "
        "deutschen ICEs, sondern auch mit den Anschlüssen.",
        "Nach Angaben der Deutschen Bahn fuhren im vergangenen Jahr 1,9 Millionen Fahrgäste mit "
        "Nachtzügen ins Ausland.",
    ]
    text = "\n\n".join(sentences * 3) + "\n\nEine Verbindung: " + LONG_URL
    article = make_article(
        title="Bahnverkehr in Europa: Warum die Schnellzugverbindung von Madrid nach Stockholm 36 Stunden "
        "dauert und was die Europäische Union dagegen tun will",
        author="Frankfurter Allgemeine Zeitung GmbH; Benjamin Fischer; Marcus Theurer",
        sitename="Frankfurter Allgemeine Zeitung",
        url=LONG_URL,
        canonical_url=LONG_URL,
        final_url=LONG_URL,
        language="de",
        text=text,
        published_at=timezone.now() - timedelta(days=1),
    )
    start = text.index(LONG_CLAIM)
    claim = make_claim(
        article,
        text=LONG_CLAIM,
        start=start,
        language="de",
        score=0.97,
        speaker_name="Bernd Lucke",
        speaker_type="Person",
        provider_reports=[
            {
                "provider": "archive",
                "state": "ok",
                "detail": "",
                "queries": ["Madrid Stockholm Zugverbindung 36 Stunden", "EU Schnellfahrstrecken Milliarden"],
                "count": 3,
                "elapsed_ms": 41,
            },
            {
                "provider": "wikipedia",
                "state": "unavailable",
                "detail": "Wikipedia: dns_error",
                "queries": ["Madrid Stockholm Zugverbindung 36 Stunden"],
                "count": 0,
                "elapsed_ms": 2003,
            },
            {
                "provider": "factchecktools",
                "state": "quota_exhausted",
                "detail": "quota_exhausted: Fact Check Tools: HTTP 429 too many requests",
                "queries": ["Madrid Stockholm 36 Stunden"],
                "count": 0,
                "elapsed_ms": 180,
            },
            {
                "provider": "searxng",
                "state": "no_results",
                "detail": "",
                "queries": ["Zugverbindung Madrid Stockholm Umstiege"],
                "count": 0,
                "elapsed_ms": 650,
            },
        ],
    )
    minutes = make_source(
        claim,
        title="Europäischer Rechnungshof: Sonderbericht 19/2018 — Ein europäisches Hochgeschwindigkeitsnetz: "
        "keine Realität, sondern ein ineffektives Flickwerk",
        url=LONG_URL + "&source=1",
        canonical_url=LONG_URL + "&source=1",
        provider="archive",
        publisher="Europäischer Rechnungshof",
        stance="refutes",
        stance_reason="The report gives 23.7 billion euros since 2000, not since 2007.",
        passages=[
            "Seit 2000 hat die EU rund 23,7 Milliarden Euro an Kofinanzierungsmitteln für Investitionen in "
            "Hochgeschwindigkeitsstrecken bereitgestellt. " * 3
        ],
        rank=1,
    )
    make_source(claim, title="Fahrplanauskunft", provider="archive", stance="supports", rank=2, url=LONG_URL)
    make_source(claim, title="Faktencheck: Zugverbindungen", provider="archive", rating="Größtenteils falsch")
    # A published fact-check found as ClaimReview markup on a source page (long URL, long claim).
    make_source(
        claim,
        title="Faktencheck der Bahn",
        url=LONG_URL + "-faktencheck",
        claim_reviews=[
            {
                "claim_reviewed": "Die Bahn hat im vergangenen Jahr die Hälfte ihrer Nachtzugverbindungen "
                "eingestellt und plant keine neuen Strecken",
                "rating": {"name": "Größtenteils falsch", "value": "2", "best": "5", "worst": "1"},
                "author": "Faktencheck-Redaktion Süd",
                "url": "",
                "date_published": "2024-05-02",
            }
        ],
    )

    # Earlier claims saying the same, one in French, with their verdicts.
    earlier_article = make_article(title="Les trains de nuit en Europe", language="fr")
    earlier = make_claim(
        earlier_article,
        text="La liaison ferroviaire la plus rapide entre Madrid et Stockholm dure 36 heures avec cinq "
        "correspondances, selon la Deutsche Bahn.",
        language="fr",
    )
    record_verdict(claim=earlier, reviewer=alice, label="verified", rationale="Timetables checked. " * 8)
    ClaimMatch.objects.create(claim=claim, matched=earlier, similarity=0.91)
    ClaimMatch.objects.create(claim=claim, matched=make_claim(text=LONG_CLAIM[:180]), similarity=0.74)

    # Sent back, taken, reassigned, then a disagreement (four eyes) and a lead's draft.
    assign_claim(claim=claim, reviewer=alice, by=lead)
    send_back_claim(claim=claim, by=alice, comment="Needs someone who reads the EU audit reports. " * 3)
    assign_claim(claim=claim, reviewer=bob, by=bob)
    assign_claim(claim=claim, reviewer=alice, by=lead)
    record_verdict(
        claim=claim,
        reviewer=alice,
        label="disputed",
        rationale="The Court of Auditors counts 23.7 billion euros since 2000, not since 2007. " * 4,
        source_ids=[minutes.pk],
    )
    claim.refresh_from_db()
    record_verdict(claim=claim, reviewer=bob, label="unsupported", rationale="Unclear. " * 20)
    claim.refresh_from_db()
    save_draft(claim=claim, reviewer=lead, label="disputed", rationale="Draft: the audit report says 2000.")

    # A 636-claim article whose sources are all gathered (the count once spilled out of its badge).
    big = make_article(title="Liveblog: Alle Entwicklungen zur Bahnreform im Überblick", language="de")
    Claim.objects.bulk_create(
        [
            Claim(
                article=big,
                text=f"Am Tag {n} fuhren {n * 13} Züge mit mehr als {n} Minuten Verspätung in den Bahnhof ein.",
                start=n * 100,
                end=n * 100 + 60,
                language="de",
                score=0.2 + (n % 70) / 100,
                fingerprint=f"big-{n}",
                status=ClaimStatus.SOURCED,
                provider_reports=[{"provider": "archive", "state": "ok", "count": 1}],
            )
            for n in range(636)
        ]
    )
    make_article(
        title="A page that could not be fetched",
        status=ArticleStatus.FAILED,
        error_code="dns_error",
        error_message="The host www.example-zeitung.de has no addresses. " * 3,
        text="",
    )
    sourcing = make_article(title="Nachtzüge: Neue Verbindungen ab Dezember", status=ArticleStatus.SOURCING)
    make_claim(sourcing, status=ClaimStatus.PENDING)
    make_claim(sourcing, start=100)
    assert ClaimEvent.objects.filter(claim=claim, action=ClaimAction.SENT_BACK).exists()
    return {"claim": claim.pk, "article": article.pk, "big": big.pk}


def axe_or_skip() -> None:
    if AXE.exists():
        return
    message = (
        "axe-core is not installed: run `npm ci` in the repository (make test does, when npm is on the PATH; "
        "npm comes with Node.js, e.g. apt-get install npm)."
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


# The elements whose boxes must not overlap each other (ancestors and descendants aside), and the boxes
# whose content must stay inside them.
IMPORTANT = ", ".join(
    [
        "#header",
        "#site-name",
        "#user-tools",
        "nav.breadcrumbs, div.breadcrumbs",
        "#content h1",
        "#content > h2",
        ".object-tools",
        "ul.review-tools",
        ".review-queues",
        "#toolbar",
        "#changelist-filter",
        "#result_list",
        ".actions",
        ".paginator",
        ".review .box",
        ".review .banner",
        ".review .button-row > *",
        "#content-related",
        "#review-overview",
        "#review-overview section",
        ".app-list .module, #content-main > .module",
        "#login-form",
        ".submit-row",
        "fieldset.module",
        "#nav-sidebar",
        "#toggle-nav-sidebar",
    ]
)
BOXES = ", ".join(
    [
        ".badge",
        ".button",
        "button",
        "input[type=submit]",
        ".object-tools a",
        "ul.review-tools a",
        "#result_list td",
        "#result_list th",
        ".review td",
        ".review th",
        ".pipeline",
        ".pipeline-step",
        "#site-name",
        "#user-tools",
    ]
)

LAYOUT_PROBLEMS = """
([important, boxes]) => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += "#" + el.id;
    if (el.classList.length) name += "." + [...el.classList].join(".");
    const text = (el.innerText || el.value || "").trim().replace(/\\s+/g, " ").slice(0, 50);
    return text ? `${name} ("${text}")` : name;
  };
  const visible = (el) => {
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };
  const clippedBy = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return up;
    }
    return null;
  };
  if (document.documentElement.scrollWidth > width + 1) {
    problems.push(`the page is ${document.documentElement.scrollWidth}px wide in a ${width}px window`);
  }
  const all = [...document.body.querySelectorAll("*")].filter(visible);
  for (const el of all) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && !clippedBy(el)) {
      problems.push(`${describe(el)} ends at ${Math.round(box.right)}px, beyond the window's right edge`);
    }
    const style = getComputedStyle(el);
    if (["auto", "scroll"].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1) {
      problems.push(`${describe(el)} scrolls sideways: ${el.scrollWidth}px of content in ${el.clientWidth}px`);
    }
  }
  for (const el of document.querySelectorAll(boxes)) {
    if (!visible(el) || getComputedStyle(el).display === "inline") continue;
    const box = el.getBoundingClientRect();
    if (el.scrollWidth > el.clientWidth + 1) {
      problems.push(`the content of ${describe(el)} spills out of it (${el.scrollWidth}px in ${el.clientWidth}px)`);
      continue;
    }
    for (const child of el.querySelectorAll("*")) {
      if (!visible(child)) continue;
      const inner = child.getBoundingClientRect();
      if (inner.right > box.right + 1 || inner.left < box.left - 1 || inner.bottom > box.bottom + 1) {
        problems.push(`${describe(child)} spills out of ${describe(el)}`);
        break;
      }
    }
  }
  const parts = [...document.querySelectorAll(important)].filter(visible);
  for (let i = 0; i < parts.length; i++) {
    for (let j = i + 1; j < parts.length; j++) {
      const a = parts[i], b = parts[j];
      if (a.contains(b) || b.contains(a)) continue;
      const p = a.getBoundingClientRect(), q = b.getBoundingClientRect();
      const w = Math.min(p.right, q.right) - Math.max(p.left, q.left);
      const h = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
      if (w > 2 && h > 2) problems.push(`${describe(a)} and ${describe(b)} overlap (${Math.round(w)}x${Math.round(h)}px)`);
    }
  }
  return [...new Set(problems)];
}
"""

SERIOUS_VIOLATIONS = """
async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
}
"""


def check(page, name: str, width: int) -> list[str]:
    """Every layout and accessibility problem of the page now shown, each prefixed with its name."""
    page.wait_for_load_state("load")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}-first-screen.png"))
    problems = page.evaluate(LAYOUT_PROBLEMS, [IMPORTANT, BOXES])
    problems += page.evaluate(SERIOUS_VIOLATIONS)
    return [f"{name} at {width}px: {problem}" for problem in problems]


@pytest.mark.parametrize("width", WIDTHS)
def test_every_review_page_fits_the_window_without_overlaps_or_serious_accessibility_violations(
    open_browser, live_server, settings, width
):
    axe_or_skip()
    settings.FACTCHECK_REVIEWS_REQUIRED = 2
    ids = a_newsroom_day()
    page = open_browser(width, 900)
    # axe-core comes with every page as an init script: a <script> tag added to the page would be an
    # inline script, which the admin's Content-Security-Policy refuses.
    page.add_init_script(path=str(AXE))
    base = live_server.url
    problems = []

    page.goto(f"{base}/admin/login/?next=/admin/")
    assert "Factcheck review" in page.inner_text("#site-name")
    assert "Django" not in page.title() + page.inner_text("#header")
    problems += check(page, "login", width)
    page.fill("#id_username", "lead")
    page.fill("#id_password", "pw-lead")
    page.click("input[type=submit]")
    page.wait_for_selector("#review-overview")

    pages = {
        "overview": "/admin/",
        "claims-list": "/admin/claims/claim/",
        "claim-page": f"/admin/claims/claim/{ids['claim']}/change/",
        "articles-list": "/admin/claims/article/",
        "article-page": f"/admin/claims/article/{ids['article']}/change/",
        "big-article-page": f"/admin/claims/article/{ids['big']}/change/",
        "verdict-history": "/admin/reviewers/verdict/",
        "activity-list": "/admin/reviewers/claimevent/",
    }
    for name, path in pages.items():
        page.goto(base + path)
        problems += check(page, name, width)

    assert problems == [], "\n".join(problems)


def test_an_empty_rationale_is_refused_with_its_error_in_view_and_the_sources_hint_shown(
    open_browser, live_server
):
    make_user("reviewer", "reviewers", staff=True)
    claim = make_claim(score=0.9)
    make_source(claim, title="Council minutes")
    page = open_browser(1366, 800)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/claims/claim/{claim.pk}/change/")
    page.fill("#id_username", "reviewer")
    page.fill("#id_password", "pw-reviewer")
    page.click("input[type=submit]")
    page.wait_for_selector("#verdict-form")
    assert "Tick the sources your rationale rests on" in page.inner_text("#verdict-form")
    page.check("input[name=label][value=disputed]")
    page.fill("textarea[name=rationale]", "   ")
    page.click("#record-verdict")
    error = page.wait_for_selector("#verdict-form .errorlist")
    box = error.bounding_box()
    assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= 800  # on screen, not above
    assert page.evaluate("document.activeElement.name") == "rationale"
    assert not Verdict.objects.exists()
