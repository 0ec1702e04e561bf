"""Search queries from a claim: language-aware keywords, a few queries per claim."""

from __future__ import annotations

from textkit.terms import QUOTED, STOP_WORDS, TOKEN, WORD, fold, names, normalize_language, stop_words


def _query_terms(claim_text: str, language: str) -> list[tuple[str, str, str]]:
    """(surface form, folded key, kind) for each content term; kind is "num", "name" or "word"."""
    lang = normalize_language(language)
    stops = stop_words(lang) | STOP_WORDS["en"]
    claim_names = names(claim_text, lang)
    out = []
    for m in TOKEN.finditer(claim_text):
        if m.group("num"):
            out.append((m.group("num").strip(), m.group("num").strip(), "num"))
            continue
        key = fold(m.group(0))
        if not key or key in stops or len(key) < 2:
            continue
        out.append((m.group(0), key, "name" if key in claim_names else "word"))
    return out


def build_queries(claim_text: str, language: str, max_queries: int = 3) -> list[str]:
    """A few keyword queries for one claim, most specific first.

    1. quoted phrases + names + numbers + the other content words, in claim order (at most 10 terms);
    2. the same without numbers and quotes — evidence that refutes a figure usually states another figure;
    3. names and the three longest other words — the broadest query, for sparse indexes.
    Deterministic; never returns an empty query; at most `max_queries`.
    """
    quoted = [q.strip() for q in QUOTED.findall(claim_text) if len(q.split()) <= 12]
    terms = _query_terms(claim_text, language)
    if not terms and not quoted:
        text = " ".join(claim_text.split())[:200]
        return [text] if text else []
    seen: set[str] = set()
    unique = []
    for surface, key, kind in terms:
        if key not in seen:
            seen.add(key)
            unique.append((surface, key, kind))
    quoted_keys = {fold(w) for q in quoted for w in WORD.findall(q)}

    def pick(items: list[tuple[str, str, str]], limit: int) -> list[str]:
        if len(items) > limit:
            # names and numbers first, then the longest (most specific) words; output keeps claim order
            ranked = sorted(items, key=lambda t: (t[2] == "word", -len(t[1])))
            chosen = {t[1] for t in ranked[:limit]}
            items = [t for t in items if t[1] in chosen]
        return [t[0] for t in items]

    phrases = [f'"{q}"' for q in quoted]
    q1 = phrases + pick([t for t in unique if t[1] not in quoted_keys], max(3, 10 - len(phrases)))
    no_numbers = [t for t in unique if t[2] != "num"]
    q2 = pick(no_numbers, 8)
    words = sorted((t for t in no_numbers if t[2] == "word"), key=lambda t: -len(t[1]))[:3]
    keep = {t[1] for t in no_numbers if t[2] == "name"} | {t[1] for t in words}
    q3 = [t[0] for t in no_numbers if t[1] in keep]
    queries = [" ".join(q) for q in (q1, q2, q3) if q]
    out: list[str] = []
    for q in queries:
        if q.lower() not in {o.lower() for o in out}:
            out.append(q)
    return out[:max_queries]
