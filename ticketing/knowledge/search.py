"""Rank knowledge articles for a question by its words (segmented like routing), synonyms folded together.

Pure: the caller passes the articles' text and a function that splits text into words. An article scores the
sum, over the distinct words of the query found in it, of the word's rarity (idf) times where it was found:
question or keywords weigh 3, the answer 1. Synonym sets of lexicon.yaml count as one word (身份证 = 二代证).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

# Words that say nothing about the topic of a question.
STOPWORDS = frozenset("""的 了 吗 呢 吧 啊 呀 我 我们 你 你们 他 她 它 在 是 有 和 与 或 就 都 也
还 要 想 会 能 可以 怎么 怎样 如何 什么 哪里 哪儿 哪个 多少 请问 一下 一个 这个 那个 这 那 给 把
被 对 从 到 为 嘛 请 问 您 好 你好 来电 来电人 市民 询问 咨询 反映 情况 知道 现在 时候
the a an of to in on for is are do does how what
where when can i my we our you your it and or""".split())
TITLE_WEIGHT = 3.0
RELATIVE_FLOOR = 0.35  # articles scoring under this share of the best one are left out (noise)
BODY_WEIGHT = 1.0


@dataclass(frozen=True)
class ArticleText:
    """What search looks at in one article."""

    code: str
    question: str
    answer: str
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    """One ranked article: its code, score and the query words that matched (as written in the query)."""

    code: str
    score: float
    words: tuple[str, ...]


def synonym_map(groups: Iterable[Sequence[str]]) -> dict[str, str]:
    """Return word -> the first word of its synonym set."""
    return {word: group[0] for group in groups for word in group}


def terms(words: Iterable[str], synonyms: dict[str, str]) -> dict[str, str]:
    """Return canonical term -> first word form seen, stopwords and punctuation left out."""
    found: dict[str, str] = {}
    for word in words:
        word = word.strip().casefold()
        if not word or word in STOPWORDS or not any(ch.isalnum() for ch in word):
            continue
        if len(word) == 1 and word not in synonyms:
            continue  # a lone character (去, 补) says little unless the lexicon makes it a synonym
        found.setdefault(synonyms.get(word, word), word)
    return found


class Index:
    """The terms of a set of articles, ready to rank queries against."""

    def __init__(self, articles: Iterable[ArticleText], split: Callable[[str], list[str]],
                 synonyms: dict[str, str]) -> None:
        self._split, self._synonyms = split, synonyms
        self._titles: dict[str, frozenset[str]] = {}
        self._bodies: dict[str, frozenset[str]] = {}
        frequency: dict[str, int] = {}
        for article in articles:
            title = set(terms(split(article.question), synonyms))
            title |= set(terms((w for k in article.keywords for w in [k, *split(k)]), synonyms))
            body = set(terms(split(article.answer), synonyms))
            self._titles[article.code], self._bodies[article.code] = frozenset(title), frozenset(body)
            for term in title | body:
                frequency[term] = frequency.get(term, 0) + 1
        total = max(len(self._titles), 1)
        self._idf = {term: math.log(1 + total / count) for term, count in frequency.items()}

    def rank(self, query: str, limit: int = 5) -> list[Match]:
        """Return the best articles for QUERY, best first (ties: code), at most LIMIT."""
        wanted = terms(self._split(query), self._synonyms)
        matches = []
        for code, title in self._titles.items():
            body, score, words = self._bodies[code], 0.0, []
            for term, written in wanted.items():
                weight = TITLE_WEIGHT if term in title else BODY_WEIGHT if term in body else 0.0
                if weight:
                    score += weight * self._idf.get(term, 0.0)
                    words.append(written)
            if score > 0:
                matches.append(Match(code, round(score, 3), tuple(words)))
        matches.sort(key=lambda m: (-m.score, m.code))
        floor = matches[0].score * RELATIVE_FLOOR if matches else 0.0
        return [m for m in matches if m.score >= floor][:limit]
