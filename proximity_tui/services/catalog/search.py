"""Ranked fuzzy search over catalog entries, built once per catalog and queried per keystroke.

Tiers, best first: the exact id or name; an id or name that starts with the query; every query
word matching a word of the id, name, tags or category (exactly or as its start); fuzzy matches
(typos) on those words and on the description's words; last, when nothing else matched, the
query's letters in order inside an id or name, as fzf does ("vltw" finds vaultwarden). Within a
tier the closer match wins, then the catalog order (so ties are stable).

Speed: everything searchable is tokenised once. A query looks up its words in sorted vocabularies
(`bisect` for prefixes), runs rapidfuzz's C loop over the vocabulary (not over entries) for typos,
and only then touches the entries those words point to.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence

from rapidfuzz import fuzz, process

from proximity_tui.services.catalog.model import CatalogEntry

TOKEN = re.compile(r"[a-z0-9]+")
EXACT, PREFIX, WORDS, FUZZY, SUBSEQUENCE = 4000.0, 3000.0, 2000.0, 1000.0, 0.0
#: Field weights for a word match: name and id words, tags, category, description.
STRONG_WEIGHTS = {"name": 1.0, "tag": 0.96, "category": 0.92}
DESCRIPTION_WEIGHT = 0.6
FUZZY_CUTOFF = 82.0
MIN_SCORE = 45.0


def normalise(text: str) -> str:
    return " ".join(text.lower().split())


class _Vocabulary:
    """Words -> {entry index: best field weight}, with a sorted word list for prefix lookups."""

    def __init__(self) -> None:
        self.postings: dict[str, dict[int, float]] = defaultdict(dict)

    def add(self, word: str, idx: int, weight: float) -> None:
        post = self.postings[word]
        if post.get(idx, 0.0) < weight:
            post[idx] = weight

    def freeze(self) -> None:
        self.postings = dict(self.postings)
        self.words = sorted(self.postings)

    def prefixed(self, prefix: str) -> list[str]:
        start = bisect_left(self.words, prefix)
        out = []
        for word in self.words[start:]:
            if not word.startswith(prefix):
                break
            out.append(word)
        return out


class SearchIndex:
    """Precomputed search structures over a fixed list of entries (their order breaks ties)."""

    def __init__(self, entries: Sequence[CatalogEntry]) -> None:
        self.entries = list(entries)
        self.exact: dict[str, list[int]] = defaultdict(list)
        self.keys: list[tuple[str, int]] = []  # sorted (id or name, index) for prefix search
        self.strong = _Vocabulary()
        self.weak = _Vocabulary()
        self.categories: list[str] = []
        for idx, e in enumerate(self.entries):
            ident, name = e.id.lower(), normalise(e.name)
            self.categories.append(e.category.lower())
            for key in {ident, name, re.sub(r"[^a-z0-9]", "", name)}:
                self.exact[key].append(idx)
                self.keys.append((key, idx))
            for word in TOKEN.findall(f"{ident} {name}"):
                self.strong.add(word, idx, STRONG_WEIGHTS["name"])
            for tag in e.tags:
                for word in {tag.lower(), *TOKEN.findall(tag.lower())}:
                    self.strong.add(word, idx, STRONG_WEIGHTS["tag"])
            for word in TOKEN.findall(e.category.lower()):
                self.strong.add(word, idx, STRONG_WEIGHTS["category"])
            for word in TOKEN.findall(e.description.lower()):
                self.weak.add(word, idx, DESCRIPTION_WEIGHT)
        self.keys.sort()
        self.key_strings = [k for k, _ in self.keys]
        # Every key on its own line: one regex scan finds subsequence matches in all of them.
        self.joined = "\n".join(self.key_strings)
        self.line_starts: list[int] = []
        offset = 0
        for key in self.key_strings:
            self.line_starts.append(offset)
            offset += len(key) + 1
        self.strong.freeze()
        self.weak.freeze()

    def search(
        self, query: str, *, category: str | None = None, limit: int | None = None
    ) -> list[CatalogEntry]:
        q = normalise(query)
        allowed = None
        if category is not None:
            cat = category.strip().lower()
            allowed = {i for i, c in enumerate(self.categories) if c == cat}
        if not q:
            hits = range(len(self.entries)) if allowed is None else sorted(allowed)
            picked = list(hits)
        else:
            scores = self._score(q)
            if allowed is not None:
                scores = {i: s for i, s in scores.items() if i in allowed}
            picked = sorted(scores, key=lambda i: (-scores[i], i))
        if limit is not None:
            picked = picked[: max(0, limit)]
        return [self.entries[i] for i in picked]

    # --- scoring ---------------------------------------------------------------------------

    def _score(self, q: str) -> dict[int, float]:
        best: dict[int, float] = {}

        def bump(idx: int, score: float) -> None:
            if best.get(idx, 0.0) < score:
                best[idx] = score

        for idx in self.exact.get(q, ()):
            bump(idx, EXACT)
        start = bisect_left(self.key_strings, q)
        for key, idx in self.keys[start:]:
            if not key.startswith(q):
                break
            bump(idx, PREFIX + 900.0 * len(q) / len(key))

        words = TOKEN.findall(q)
        if not words:
            return best
        # Per query word: entry -> (best score for that word, whether it was a strong match).
        per_word = [self._word_matches(w) for w in words]
        candidates = set().union(*(m.keys() for m in per_word))
        n = len(words)
        for idx in candidates:
            total, strong_all = 0.0, True
            for matches in per_word:
                score, strong = matches.get(idx, (0.0, False))
                total += score
                strong_all = strong_all and strong
            mean = total / n
            if strong_all:
                bump(idx, WORDS + 9.0 * mean)
            elif mean >= MIN_SCORE:
                bump(idx, FUZZY + 9.0 * mean)

        # Whole-query typos against ids and names ("uptimkuma"), when nothing matched better.
        if len(words) == 1 and len(q) >= 4 and not best:
            for _key, score, pos in process.extract(
                q, self.key_strings, scorer=fuzz.ratio, limit=None, score_cutoff=FUZZY_CUTOFF
            ):
                bump(self.keys[pos][1], FUZZY + 9.0 * score)
        if len(words) == 1 and len(q) >= 3 and not best:
            for idx, score in self._subsequence(q):
                bump(idx, SUBSEQUENCE + score)
        return best

    def _subsequence(self, q: str) -> list[tuple[int, float]]:
        """Keys holding the query's characters in order (fzf style), scored by how compact the
        match is (900 when the letters are adjacent)."""
        # `u[^\np]*p[^\nt]*t...`: each gap stops at the next wanted letter, so the scan never
        # backtracks (a lazy `.*?` made one query over 10,000 entries cost 20 ms).
        parts = [re.escape(q[0])]
        for ch in q[1:]:
            parts.append(f"[^\\n{re.escape(ch)}]*{re.escape(ch)}")
        pattern = re.compile("".join(parts))
        out = []
        for match in pattern.finditer(self.joined):
            line = bisect_right(self.line_starts, match.start()) - 1
            out.append((self.keys[line][1], 900.0 * len(q) / (match.end() - match.start())))
        return out

    def _word_matches(self, word: str) -> dict[int, tuple[float, bool]]:
        """Entries a query word matches: entry -> (score 0-100, matched a strong field exactly or
        as a prefix). Typos are tried only where the word matched nothing as typed."""
        out: dict[int, tuple[float, bool]] = {}
        get = out.get

        def add(postings: dict[int, float], score: float, strong: bool) -> None:
            for idx, weight in postings.items():
                old = get(idx)
                s = score * weight
                if old is None:
                    out[idx] = (s, strong)
                elif s > old[0] or (strong and not old[1]):
                    out[idx] = (max(s, old[0]), strong or old[1])

        for vocab, strong in ((self.strong, True), (self.weak, False)):
            found = False
            if word in vocab.postings:
                add(vocab.postings[word], 100.0, strong)
                found = True
            for other in vocab.prefixed(word):
                if other != word:
                    add(vocab.postings[other], 70.0 + 25.0 * len(word) / len(other), strong)
                    found = True
            if not found and len(word) >= 4:  # short words would match half the vocabulary
                for other, score, _ in process.extract(
                    word, vocab.words, scorer=fuzz.ratio, limit=None, score_cutoff=FUZZY_CUTOFF
                ):
                    add(vocab.postings[other], score * 0.85, False)
        return out
