"""Route a request to a bureau: the first rule of the district's ordered rules whose condition holds."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from ticketing.dataset import TARGET_DEFAULT, TARGET_STREET, TARGET_TRIAGE, Condition, Dataset, Rule
from ticketing.routing.keywords import Hit, KeywordMatcher, normalise
from ticketing.routing.suggest import CategorySuggestion, matcher_for, rank
from ticketing.routing.urgency import Urgency, detect_urgency, urgency_matcher
from ticketing.routing.words import Segmentation, Segmenter, segmenter_for

_CACHE_SIZE = 4
_rule_matchers: dict[int, tuple[Dataset, KeywordMatcher, KeywordMatcher, Segmenter]] = {}
# One thread builds while the others wait for its result: 20 requests arriving together after a start
# each built their own (seconds of CPU apiece) and took a minute to answer.
_build_lock = threading.Lock()


class RoutingError(ValueError):
    """The request names a category or street the dataset does not know."""


@dataclass(frozen=True)
class RoutingRequest:
    """What routing looks at: the description, and what the agent or caller already said."""

    text: str
    category: str | None = None
    street: str | None = None
    at: datetime | None = None  # when the request came in; time-of-day rules never hold without it
    avoid: tuple[str, ...] = ()  # bureaus not to propose (one that returned the case): the next rule decides


@dataclass(frozen=True)
class Reason:
    """Why a rule decided, in parts, so that each screen can say it in its own language."""

    rule_en: str
    rule_zh: str
    bureau: str
    category: str | None = None
    category_given: bool = False
    words: tuple[str, ...] = ()
    street: str | None = None
    at: str | None = None  # "23:30" when a time-of-day rule decided
    ignored: tuple[tuple[str, str], ...] = ()
    urgency: tuple[Urgency, ...] = ()


@dataclass(frozen=True)
class RoutingDecision:
    """Where a case goes, which rule sent it there and why (one English sentence, and its parts)."""

    category: str | None
    bureau: str
    rule: str
    explanation: str
    confidence: float
    urgent: bool = False
    matched: tuple[str, ...] = ()
    urgency: tuple[Urgency, ...] = ()  # urgency signs in the words, whichever rule decided
    ignored: tuple[tuple[str, str], ...] = ()  # (keyword, negation) pairs not counted: 不是 工地
    reason: Reason | None = None


@dataclass(frozen=True)
class _Facts:
    category: str | None
    lineage: tuple[str, ...]
    street: str | None
    local_at: datetime | None
    working_time: bool | None
    rule_hits: dict[str, tuple[str, ...]]  # "<rule>+" (keywords_any), "<rule>-" (keywords_none) → words
    urgency: tuple[Urgency, ...] = ()
    ignored: tuple[tuple[str, str], ...] = ()


def route(dataset: Dataset, request: RoutingRequest) -> RoutingDecision:
    """Return the decision of the first rule that holds and resolves to a bureau."""
    _check_codes(dataset, request)
    folded = normalise(request.text)
    rule_matcher, signs, segmenter = _matchers(dataset)
    words = segmenter.segment(folded)
    suggestion = None
    category_hits, ignored = matcher_for(dataset.categories).spot(request.text, folded, words)
    if request.category is None:
        suggestion = rank(category_hits)
    category = request.category or (suggestion.code if suggestion else None)
    hits, ignored_by_rules = rule_matcher.spot(request.text, folded, words)
    local_at = dataset.calendar.local(request.at) if request.at is not None else None
    facts = _Facts(
        category=category,
        lineage=dataset.ancestors(category) if category else (),
        street=request.street,
        local_at=local_at,
        working_time=dataset.calendar.is_working_time(local_at) if local_at else None,
        rule_hits=_by_owner(hits),
        urgency=_urgency(dataset, signs, request.text, folded, words),
        ignored=_ignored(ignored + ignored_by_rules),
    )
    for rule in dataset.rules:
        if not _holds(rule, facts):
            continue
        decided = rule.category or category
        bureau = _target(dataset, rule.bureau, decided, request.street)
        if bureau is not None and bureau not in request.avoid:
            return _decision(dataset, rule, decided, bureau, request, suggestion, facts)
    if request.avoid:
        raise RoutingError(f"no rule sends the case elsewhere than {', '.join(request.avoid)}")
    raise AssertionError("unreachable: the dataset's last rule always holds")


def segment(dataset: Dataset, text: str) -> Segmentation:
    """Return TEXT's words as routing sees them (the district's lexicon and keywords included)."""
    return _matchers(dataset)[2].segment(normalise(text))


def _check_codes(dataset: Dataset, request: RoutingRequest) -> None:
    if request.category is not None and request.category not in dataset.categories:
        raise RoutingError(f"unknown category '{request.category}'")
    if request.street is not None and request.street not in dataset.streets:
        raise RoutingError(f"unknown street '{request.street}'")


def _holds(rule: Rule, facts: _Facts) -> bool:
    """Return whether every part of RULE's condition holds for FACTS."""
    when: Condition = rule.when
    if when.category_known is not None and when.category_known != (facts.category is not None):
        return False
    if when.street_known is not None and when.street_known != (facts.street is not None):
        return False
    if when.categories and not any(code in facts.lineage for code in when.categories):
        return False
    if when.streets and facts.street not in when.streets:
        return False
    if when.hours is not None and (facts.local_at is None or not when.hours.contains(facts.local_at.time())):
        return False
    if when.working_time is not None and facts.working_time is not when.working_time:
        return False
    if when.keywords_any and rule.id + "+" not in facts.rule_hits:
        return False
    return rule.id + "-" not in facts.rule_hits


def _by_owner(hits: list[Hit]) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for hit in sorted(hits, key=lambda h: h.start):
        found.setdefault(hit.owner, []).append(hit.keyword)
    return {owner: tuple(words) for owner, words in found.items()}


def _target(dataset: Dataset, target: str, category: str | None, street: str | None) -> str | None:
    """Return the bureau code TARGET stands for, or None when it cannot be resolved here."""
    if target == TARGET_TRIAGE:
        return dataset.triage_bureau
    if target == TARGET_STREET:
        return dataset.streets[street].office if street else None
    if target == TARGET_DEFAULT:
        if category is None:
            return None
        return _target(dataset, dataset.categories[category].default_bureau, category, street)
    return target


def prepare(dataset: Dataset) -> None:
    """Build the data set's matchers and word segmenter now (about a second) rather than in a first request.

    Under a burst of first intakes on a busy machine, building them inside requests kept every request's
    database connection waiting for jieba's dictionary and ran the pool dry.
    """
    _matchers(dataset)


def _matchers(dataset: Dataset) -> tuple[KeywordMatcher, KeywordMatcher, Segmenter]:
    """Return the rules' keyword matcher, the urgency matcher and the segmenter of DATASET."""
    cached = _rule_matchers.get(id(dataset))
    if cached is not None and cached[0] is dataset:
        return cached[1:]
    with _build_lock:
        cached = _rule_matchers.get(id(dataset))
        if cached is not None and cached[0] is dataset:
            return cached[1:]
        return _build_matchers(dataset)


def _build_matchers(dataset: Dataset) -> tuple[KeywordMatcher, KeywordMatcher, Segmenter]:
    entries = [(r.id + "+", keyword, 1.0) for r in dataset.rules for keyword in r.when.keywords_any]
    entries += [(r.id + "-", keyword, 1.0) for r in dataset.rules for keyword in r.when.keywords_none]
    built = (KeywordMatcher(entries), urgency_matcher(dataset.lexicon), _segmenter(dataset))
    if len(_rule_matchers) >= _CACHE_SIZE:
        _rule_matchers.pop(next(iter(_rule_matchers)))
    _rule_matchers[id(dataset)] = (dataset, *built)
    return built


def _segmenter(dataset: Dataset) -> Segmenter:
    """Return the segmenter knowing the lexicon's words and every keyword of categories, rules and urgency."""
    lexicon = dataset.lexicon
    words = set(lexicon.words) | _place_names(dataset)
    words.update(normalise(k) for c in dataset.categories.values() for k in c.keywords)
    words.update(normalise(k) for r in dataset.rules for k in (*r.when.keywords_any, *r.when.keywords_none))
    words.update(normalise(w) for sign in lexicon.urgency for group in sign.groups for w in group)
    return segmenter_for(tuple(sorted(words)), tuple(normalise(n) for n in lexicon.negations))


def _place_names(dataset: Dataset) -> set[str]:
    """Return street, community and bureau names, with and without 街道/社区 (华强北街道, 华强北)."""
    names = {b.name_zh for b in dataset.bureaus.values()}
    for street in dataset.streets.values():
        for name in (street.name_zh, *(c.name_zh for c in street.communities)):
            names.update({name, name.removesuffix("街道").removesuffix("社区")})
    return {n for n in names if len(n) > 1}


def _urgency(dataset: Dataset, signs: KeywordMatcher, text: str, folded: str,
             words: Segmentation) -> tuple[Urgency, ...]:
    hits, _ = signs.spot(text, folded, words)
    return detect_urgency(dataset.lexicon, hits)


def _ignored(negated: list[tuple[Hit, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(dict.fromkeys((hit.keyword, negation) for hit, negation in sorted(
        negated, key=lambda pair: pair[0].start)))


def _decision(dataset: Dataset, rule: Rule, category: str | None, bureau: str, request: RoutingRequest,
              suggestion: CategorySuggestion | None, facts: _Facts) -> RoutingDecision:
    matched = suggestion.matched if suggestion else ()
    rule_words = facts.rule_hits.get(rule.id + "+", ())
    confidence = 1.0 if request.category else (suggestion.confidence if suggestion else 0.0)
    reason = Reason(
        rule_en=rule.reason, rule_zh=rule.reason_zh, bureau=bureau, category=category,
        category_given=request.category == category and category is not None,
        words=tuple(dict.fromkeys(matched + rule_words)), street=facts.street,
        at=f"{facts.local_at:%H:%M}" if rule.when.hours is not None and facts.local_at is not None else None,
        ignored=facts.ignored, urgency=facts.urgency,
    )
    return RoutingDecision(
        category=category, bureau=bureau, rule=rule.id, explanation=describe(dataset, reason, "en"),
        confidence=confidence, urgent=rule.urgent or bool(facts.urgency), matched=matched,
        urgency=facts.urgency, ignored=facts.ignored, reason=reason,
    )


def name_in(item: object, lang: str, code: str) -> str:
    """Return a bureau's, category's or street's name in LANG; its code when it is unknown."""
    if item is None:
        return code
    zh = getattr(item, "name_zh", "") or code
    return (getattr(item, "name_en", "") or zh) if lang == "en" else zh


def urgency_text(sign: Urgency, lang: str) -> str:
    """Return one urgency sign in LANG with the words that showed it: 井盖缺失（“井盖”、“危险”）."""
    if lang == "en":
        return f"{sign.reason} (" + _quoted(sign.words, ", ") + ")"
    return f"{sign.reason_zh or sign.reason}（{_quoted(sign.words, '、')}）"


def _quoted(words: tuple[str, ...] | list[str], sep: str) -> str:
    return sep.join(f"“{w}”" for w in words)


def describe(dataset: Dataset, reason: Reason, lang: str) -> str:
    """Return REASON as one sentence in LANG ("zh" or "en"), with names in place of codes."""
    category = dataset.categories.get(reason.category) if reason.category else None
    street = dataset.streets.get(reason.street) if reason.street else None
    bureau = name_in(dataset.bureaus.get(reason.bureau), lang, reason.bureau)
    if lang == "en":
        return _describe_en(reason, category, street, bureau)
    parts = []
    if reason.category is None:
        parts.append("未识别出诉求分类")
    else:
        how = "已选诉求分类" if reason.category_given else "识别为诉求分类"
        parts.append(f"{how}“{name_in(category, 'zh', reason.category)}”")
    if reason.words:
        parts.append("依据" + _quoted(reason.words, "、"))
    if reason.street:
        parts.append("街道：" + name_in(street, "zh", reason.street))
    if reason.at:
        parts.append(f"时间 {reason.at}")
    if reason.ignored:
        parts.append("未计入" + "、".join(f"“{neg}”之后的“{word}”" for word, neg in reason.ignored))
    sentence = f"{reason.rule_zh or reason.rule_en}（{'；'.join(parts)}）：分派至{bureau}"
    for sign in reason.urgency:
        sentence += f"；紧急：{urgency_text(sign, 'zh')}"
    return sentence + "。"


def _describe_en(reason: Reason, category: object, street: object, bureau: str) -> str:
    """Return one English sentence; Chinese keywords are quoted as written."""
    if reason.category is None:
        basis = "no category recognised"
    else:
        given = "given" if reason.category_given else "recognised"
        zh = getattr(category, "name_zh", "")
        basis = f"category “{name_in(category, 'en', reason.category)}”"
        basis += (f" ({zh})" if zh else "") + f" {given}"
    if reason.words:
        basis += " from " + _quoted(reason.words, ", ")
    if reason.street:
        basis += f", street {name_in(street, 'en', reason.street)}"
    if reason.at:
        basis += f", at {reason.at}"
    if reason.ignored:
        basis += ", not counting " + ", ".join(f"“{word}” after “{neg}”" for word, neg in reason.ignored)
    sentence = f"{reason.rule_en} ({basis}): sent to {bureau}"
    for sign in reason.urgency:
        sentence += f"; urgent: {urgency_text(sign, 'en')}"
    return sentence + "."
