"""Reads of the CSI register: the ranked list, one entry, and the entries a new one likely repeats."""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from typing import Any

from django.db.models import Q, QuerySet

from csi.core.permissions import require
from csi.core.services import Actor
from csi.improvement.choices import OpportunityState
from csi.improvement.models import Opportunity

ORDERS: dict[str, tuple[str, ...]] = {
    "rank": ("-score", "raised_at", "pk"),
    "newest": ("-raised_at", "-pk"),
    "oldest": ("raised_at", "pk"),
    "number": ("number",),
}
# Entries still waiting for a decision: a new entry repeating one of them should join it instead.
OPEN_STATES = (OpportunityState.NEW, OpportunityState.UNDER_ASSESSMENT, OpportunityState.DEFERRED)
# See likely_duplicates for why these numbers.
TITLE_WEIGHT, WORDS_WEIGHT, SAME_SERVICE_BONUS = 0.7, 0.3, 0.05
DUPLICATE_THRESHOLD = 0.6
# Words under three letters are dropped anyway.
STOPWORDS = frozenset({
    "and", "are", "for", "from", "has", "have", "into", "its", "not", "our", "the", "their", "this", "too",
    "was", "were", "when", "with",
})  # fmt: skip


def _related(entries: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    return entries.select_related("service", "process", "raised_by", "standard", "initiative", "actioned_by")


def opportunity_list(
    *,
    actor: Actor,
    state: str | None = None,
    source: str | None = None,
    service_key: str | None = None,
    search: str | None = None,
    order: str = "rank",
) -> QuerySet[Opportunity]:
    """The register for whoever is signed in, filtered, in the order asked: "rank" (highest priority
    score first, then the oldest), "newest", "oldest" or "number". Related rows are joined, so a page
    of entries costs one query. ValueError for an unknown order."""
    require(actor, "improvement.view")
    if order not in ORDERS:
        raise ValueError(f"unknown order '{order}' (use one of: {', '.join(ORDERS)})")
    entries = Opportunity.objects.all()
    if state:
        entries = entries.filter(state=state)
    if source:
        entries = entries.filter(source=source)
    if service_key:
        entries = entries.filter(service__key=service_key)
    if search and search.strip():
        text = search.strip()
        entries = entries.filter(
            Q(title__icontains=text) | Q(description__icontains=text) | Q(number__iexact=text)
        )
    return _related(entries).order_by(*ORDERS[order])


def opportunity_get(*, actor: Actor, number: str) -> Opportunity:
    """One entry by its number (Opportunity.DoesNotExist when there is none: the API answers 404)."""
    require(actor, "improvement.view")
    return _related(Opportunity.objects.all()).get(number=number)


def _normal(text: str) -> str:
    """Lower case, accents and punctuation dropped, spaces collapsed."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.findall(r"[a-z0-9]+", folded))


def _words(text: str) -> set[str]:
    """Content words, with a plural's final s dropped (breaches/breach still differ, which is fine)."""
    words = set()
    for word in _normal(text).split():
        if word in STOPWORDS or len(word) < 3:
            continue
        words.add(word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word)
    return words


def _title_similarity(a: str, b: str) -> float:
    """SequenceMatcher's ratio of the normalised titles, or of their sorted words when that is higher
    (so "SLA breaches on email" matches "email SLA breaches")."""
    if not a or not b:
        return 0.0
    plain = SequenceMatcher(None, a, b).ratio()
    ordered = SequenceMatcher(None, " ".join(sorted(a.split())), " ".join(sorted(b.split()))).ratio()
    return max(plain, ordered)


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def similarity(
    title: str, description: str, other_title: str, other_description: str, same_service: bool
) -> float:
    """0..1: how alike two register entries read (see likely_duplicates)."""
    title_part = _title_similarity(_normal(title), _normal(other_title))
    words_part = _overlap(_words(f"{title} {description}"), _words(f"{other_title} {other_description}"))
    score = TITLE_WEIGHT * title_part + WORDS_WEIGHT * words_part
    return round(min(1.0, score + (SAME_SERVICE_BONUS if same_service else 0.0)), 3)


def likely_duplicates(
    *,
    actor: Actor,
    title: str,
    description: str = "",
    service_id: Any = None,
    exclude_id: Any = None,
    limit: int = 5,
) -> list[tuple[Opportunity, float]]:
    """The open entries (new, under assessment, deferred) a new or edited entry probably repeats, most
    alike first, each with its similarity 0..1, at most `limit`.

    Similarity = 0.7 x the difflib ratio of the normalised titles (the better of as written and with
    the words sorted, so "SLA breaches on email" matches "email SLA breaches") + 0.3 x the share of
    content words (title and description, stop words dropped, plural s dropped) the two have in common
    (Jaccard), + 0.05 when both concern the same service, capped at 1.

    The threshold is 0.6, set on pairs of register-like titles. Titles are short, so they carry most
    of the weight. The same problem reworded scores 0.8 to 1 ("Email tickets breach the resolution
    SLA" / "Email ticket resolution SLA breached": 0.84; "SLA breaches on email" / "Email SLA
    breaches": 0.95); a looser rewording about 0.6 ("Change approvals take too long" / "Change
    requests wait too long for CAB approval": 0.61). Unrelated titles share letters by chance (difflib
    ratio 0.25 to 0.45) and score 0.2 to 0.35. Different problems that share a phrase ("Service desk
    phone wait times are high" / "Service desk chat answers are slow": 0.53) score 0.5 to 0.56, up to
    0.61 within one service: the grey zone the threshold cuts through. Lower, most of those would be
    pointed out; higher, reworded duplicates would be missed. A false alarm costs a glance (the list
    only points entries out, it never refuses one), a missed duplicate a second assessment."""
    require(actor, "improvement.view")
    if not _normal(title):
        return []
    candidates = Opportunity.objects.filter(state__in=OPEN_STATES).select_related("service")
    if exclude_id is not None:
        candidates = candidates.exclude(pk=exclude_id)
    found = []
    for entry in candidates:
        same_service = service_id is not None and entry.service_id == int(service_id)
        score = similarity(title, description, entry.title, entry.description, same_service)
        if score >= DUPLICATE_THRESHOLD:
            found.append((entry, score))
    found.sort(key=lambda pair: (-pair[1], pair[0].number))
    return found[:limit]
