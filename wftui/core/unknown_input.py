"""What the ledger read but did not understand, kept to explain it to the operator.

Unknown event names and status words are counted (a file full of them is "understood
nothing", never "all fine"); the keys and a few values of lines the typed decoder
refused are sampled, so `wftui.core.understood` can suggest a mapping for the log's
own field names. Everything here is bounded: a hostile log cannot grow it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

# Distinct unknown event names / status words / refused lines' keys counted for warnings.
MAX_UNKNOWN_WORDS = 200
# Refused lines per source whose values are sampled (for a mapping suggestion).
VALUE_SAMPLE_LINES = 20_000
# Keys read per refused line, distinct keys whose values are sampled, values per key.
KEYS_PER_LINE = 50
VALUES_PER_KEY = 20
# Longest word or key kept, and longest value sampled (a key, not a payload).
WORD_CHARS = 100


class UnknownInput:
    """Counts of unknown words and samples of refused lines' keys and values."""

    def __init__(self) -> None:
        self.words = Counter[tuple[str, str]]()  # ("event"|"status", word) -> count
        self.fields: dict[str, Counter[str]] = {}  # source -> keys of refused lines
        # source -> key -> a few of its values; "" -> {"": lines sampled}
        self.values: dict[str, dict[str, Counter[Any]]] = {}

    def note_word(self, what: str, word: str) -> None:
        """Count an event name or status word we do not know (a bounded number of them)."""
        key = (what, word[:WORD_CHARS])
        if key in self.words or len(self.words) < MAX_UNKNOWN_WORDS:
            self.words[key] += 1

    def note_fields(self, source: str, value: dict[str, Any]) -> None:
        """The keys (and a few values) of a JSON line the typed decoder refused: if none
        of a file's lines is an event, they tell the operator what to map."""
        seen = self.fields.get(source)
        if seen is None:
            seen = self.fields[source] = Counter()
        for key in list(value)[:KEYS_PER_LINE]:
            if key in seen or len(seen) < MAX_UNKNOWN_WORDS:
                seen[key[:WORD_CHARS]] += 1
        values = self.values.setdefault(source, {})
        sampled = values.setdefault("", Counter())  # "" holds the count of lines sampled
        if sampled[""] >= VALUE_SAMPLE_LINES:
            return
        sampled[""] += 1
        for key, item in list(value.items())[:KEYS_PER_LINE]:
            if not key:
                continue
            if type(item) is str and len(item) <= WORD_CHARS or type(item) in (int, float):
                kept = values.get(key)
                if kept is None:
                    if len(values) >= KEYS_PER_LINE:
                        continue
                    kept = values[key] = Counter()
                if item in kept or len(kept) < VALUES_PER_KEY:
                    kept[item] += 1

    def merge(self, words: Counter[tuple[str, str]], fields: dict[str, Counter[str]],
              values: dict[str, dict[str, Counter[Any]]]) -> None:
        """Add what a later part of the same log noted (read by another process)."""
        for key, count in words.items():
            if key in self.words or len(self.words) < MAX_UNKNOWN_WORDS:
                self.words[key] += count
        for name, seen in fields.items():
            self.fields.setdefault(name, Counter()).update(seen)
        for name, sample in values.items():  # the earlier part's sample wins
            self.values.setdefault(name, sample)
