"""The X search and filtered-stream rule language, just enough of it to match the fake's tweets.

Supported: bare words and ``"phrases"`` (case-insensitive substrings), ``@user``, ``#tag``,
``from:user``, ``to:user`` (a reply to that user), ``lang:xx``, ``is:retweet``, ``is:reply``,
negation with ``-``, implicit AND, ``OR`` (AND binds tighter, as on X) and parentheses.
:func:`compile_query` refuses what X refuses: unbalanced parentheses, a rule over the length
limit, and a rule without a positive standalone operator.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_TOKEN = re.compile(r'-?\(|\)|-?"[^"]*"|[^\s()]+')
_NOT_STANDALONE = ("lang:", "is:")


@dataclass(frozen=True)
class Facts:
    """What a query can ask about a tweet (lowercased)."""

    text: str
    author: str
    to: str  # the user the tweet replies to, or ""
    mentions: frozenset[str]
    hashtags: frozenset[str]
    lang: str
    retweet: bool
    reply: bool


Matcher = Callable[[Facts], bool]


class QueryError(ValueError):
    """The query is not valid in the X rule language."""


def _term(token: str) -> Matcher:
    low = token.lower()
    if low.startswith('"'):
        phrase = low.strip('"')
        return lambda f: phrase in f.text
    if low.startswith("@"):
        return lambda f: low[1:] in f.mentions
    if low.startswith("#"):
        return lambda f: low[1:] in f.hashtags
    if low.startswith("from:"):
        return lambda f: f.author == low[5:]
    if low.startswith("to:"):
        return lambda f: f.to == low[3:]
    if low.startswith("lang:"):
        return lambda f: f.lang == low[5:]
    if low == "is:retweet":
        return lambda f: f.retweet
    if low == "is:reply":
        return lambda f: f.reply
    return lambda f: low in f.text


class _Parser:
    def __init__(self, query: str) -> None:
        self.tokens = _TOKEN.findall(query)
        self.at = 0
        self.positive_standalone = 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def parse(self) -> Matcher:
        node = self.any_of(negated=False)
        if self.peek() is not None:
            raise QueryError(f"unexpected {self.peek()!r}")
        return node

    def any_of(self, *, negated: bool) -> Matcher:
        options = [self.all_of(negated=negated)]
        while self.peek() == "OR":
            self.at += 1
            options.append(self.all_of(negated=negated))
        return lambda f: any(option(f) for option in options)

    def all_of(self, *, negated: bool) -> Matcher:
        parts: list[Matcher] = []
        while self.peek() not in (None, ")", "OR"):
            parts.append(self.unary(negated=negated))
        if not parts:
            raise QueryError("empty group")
        return lambda f: all(part(f) for part in parts)

    def unary(self, *, negated: bool) -> Matcher:
        token = self.tokens[self.at]
        self.at += 1
        neg = token.startswith("-") and len(token) > 1
        body = token[1:] if neg else token
        if body == "(":
            node = self.any_of(negated=negated or neg)
            if self.peek() != ")":
                raise QueryError("unbalanced parentheses")
            self.at += 1
        else:
            if not (neg or negated or body.lower().startswith(_NOT_STANDALONE)):
                self.positive_standalone += 1
            node = _term(body)
        return (lambda f: not node(f)) if neg else node


def compile_query(query: str, *, max_length: int = 512) -> Matcher:
    """A matcher for ``query``; raises :class:`QueryError` where X would reject it."""
    if len(query) > max_length:
        raise QueryError(f"rule is {len(query)} characters, over the limit of {max_length}")
    parser = _Parser(query)
    node = parser.parse()
    if parser.positive_standalone == 0:
        raise QueryError("a rule needs at least one positive standalone operator")
    return node
