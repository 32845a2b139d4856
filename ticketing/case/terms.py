"""Chinese-aware search terms as pure functions: bigram documents and phrase queries that match them.

A run of Chinese characters becomes its overlapping bigrams, then its last character alone
(`福华路` -> 福华 华路 路); Latin letters and digits become lower-case words. Positions count tokens, so a
query built from the same tokens with the same distances finds the text as a phrase. A query drops the
closing single character of a run of two or more (the document may go on: `福华路口` has 路口, not 路)
and matches a run of one character as a prefix (`号` finds 号楼 and 号). Fields are kept apart by a gap
of FIELD_GAP positions, so a phrase never spans the description and the reply.

A lone character as a prefix is costly to look up: the index merges every lexeme starting with it (号 is
the start of hundreds of bigrams; `莲花路145号` took 65 ms at a million cases, 5 ms without the 号).
So the index is asked for a word without its prefixes when the word keeps a bigram to find it by, and
the whole phrase is checked on the rows found (`tsquery_text(q, index=True)`; search.py).

Documents are written as PostgreSQL `tsvector` literals (lexeme:position+weight) or as plain token text
for SQLite FTS5; queries as `tsquery` text or as an FTS5 MATCH expression.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Han, plus the other scripts written without reliable word breaks here (kana, Hangul: a Korean model's
# transcripts are searched too), all indexed as overlapping pairs.
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"
TOKEN = re.compile(f"([{CJK}]+)|([0-9a-z]+)")
FIELD_GAP = 10
MAX_POSITION = 16383  # PostgreSQL keeps positions up to this; later ones collapse onto it
CASE_WEIGHTS = "AAABCD"  # description, address, caller name; reply; notes; transcripts


@dataclass(frozen=True)
class Token:
    """One searchable unit of text at a position; `prefix` for a query's lone Chinese character."""

    text: str
    position: int
    prefix: bool = False


def normalize(text: str) -> str:
    """Full-width to half-width, lower case (ＦＴ２０２６ -> ft2026)."""
    return unicodedata.normalize("NFKC", text or "").lower()


def tokens(text: str, start: int = 1, *, query: bool = False) -> list[Token]:
    """Tokens of `text` with positions from `start`; `query` applies the query rules of the module doc."""
    found: list[Token] = []
    position = start
    for match in TOKEN.finditer(normalize(text)):
        chinese, word = match.groups()
        if word:
            found.append(Token(word, position))
            position += 1
            continue
        if len(chinese) == 1:
            found.append(Token(chinese, position, prefix=query))
            position += 1
            continue
        for i in range(len(chinese) - 1):
            found.append(Token(chinese[i : i + 2], position))
            position += 1
        if not query:
            found.append(Token(chinese[-1], position))
        position += 1
    return found


def document(*fields: str, weights: str = "ABCD", start: int = 1) -> list[tuple[Token, str]]:
    """Tokens of fields with the weight letter of each field (the last letter goes on), FIELD_GAP apart."""
    result: list[tuple[Token, str]] = []
    for index, text in enumerate(fields):
        found = tokens(text, start)
        letter = weights[min(index, len(weights) - 1)]
        result.extend((token, letter) for token in found)
        if found:
            start = found[-1].position + FIELD_GAP
    return result


def tsvector_literal(*fields: str, weights: str = "ABCD", start: int = 1) -> str:
    """The document as a PostgreSQL tsvector literal: '福华':1A,7A '华路':2A ..."""
    positions: dict[str, list[str]] = {}
    for token, weight in document(*fields, weights=weights, start=start):
        spots = positions.setdefault(token.text, [])
        if len(spots) < 256:  # PostgreSQL keeps at most 256 positions per lexeme
            spots.append(f"{min(token.position, MAX_POSITION)}{weight}")
    return " ".join(f"'{lexeme}':{','.join(spots)}" for lexeme, spots in positions.items())


def fts5_text(*fields: str) -> str:
    """The document as space-separated tokens for an FTS5 table (a filler word keeps fields apart)."""
    parts = [" ".join(token.text for token in tokens(text)) for text in fields if text]
    return " zzgap ".join(p for p in parts if p)


def groups(q: str) -> list[list[Token]]:
    """The query's words (split on white space), each a list of tokens with positions from 1."""
    return [found for word in q.split() if (found := tokens(word, query=True))]


def tsquery_text(q: str, *, index: bool = False) -> str | None:
    """A tsquery: each word a phrase (tokens joined by <distance>), words joined by &; None if empty.

    `index`: what to ask the index for, leaving out a word's lone-character prefixes when the word has
    a bigram (it finds a superset; the caller checks the whole query on what it finds).
    """
    phrases = []
    for found in groups(q):
        if index and any(len(t.text) == 2 and not t.text.isascii() for t in found):
            found = [t for t in found if not t.prefix]
        parts = [_lexeme(found[0])]
        for before, token in zip(found, found[1:], strict=False):
            parts.append(f"<{token.position - before.position}> {_lexeme(token)}")
        phrases.append("(" + " ".join(parts) + ")")
    return " & ".join(phrases) or None


def _lexeme(token: Token) -> str:
    return f"'{token.text}'" + (":*" if token.prefix else "")


def fts5_query(q: str) -> str | None:
    """An FTS5 MATCH expression: adjacent tokens as phrases, the rest AND-ed; None if empty."""
    parts = []
    for found in groups(q):
        phrase = [found[0]]
        for token in found[1:]:
            if token.position == phrase[-1].position + 1 and not phrase[-1].prefix:
                phrase.append(token)
            else:
                parts.append(_fts5_phrase(phrase))
                phrase = [token]
        parts.append(_fts5_phrase(phrase))
    return " AND ".join(parts) or None


def _fts5_phrase(phrase: list[Token]) -> str:
    text = '"' + " ".join(t.text for t in phrase) + '"'
    return text + ("*" if phrase[-1].prefix else "")
