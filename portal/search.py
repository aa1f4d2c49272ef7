"""Japanese keyword search: one way to fold text, used on the stored text and on the query alike.

A program written 茗荷畑 and one titled みょうが畑づくり体験 must both be found by 茗荷, みょうが, ミョウガ
or ﾐｮｳｶﾞ. So the stored search text is the program's public text folded (NFKC: half-width kana and
full-width letters to their usual width; katakana to hiragana (jaconv); lower case), followed by the
same text read aloud: every word holding a kanji replaced by its reading from a morphological analyser
(SudachiPy with sudachidict-core), folded too. A query word is folded the same way and, when it holds a
kanji, also read: either form found is a match. The database then only does substring matching
(PostgreSQL: LIKE over a pg_trgm GIN index; SQLite: LIKE), so the work stays at write time.
"""

import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

import jaconv
from django.db.models import Q

# The public fields a keyword search looks in. Never meeting_address: searching by the private exact
# address would tell anyone whose home it is (test_private_address).
PROGRAM_FIELDS = (
    "title", "summary", "story", "background", "about_nushi", "meeting_place", "okaeshi",
)  # fmt: skip

# Kanji (CJK ideographs, their extensions and compatibility forms, and the repeat mark 々).
_KANJI = re.compile(r"[\u3005\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")

# A query reading shorter than this is not searched for: one kanji often reads as two kana (祭 さい,
# 雪 ゆき) that turn up inside unrelated words (ください), and pg_trgm needs three characters to use
# its index. The kanji itself is still searched for.
MIN_READING = 3

# Sudachi refuses very long input; a long story is read a slice at a time (a word cut in two at a
# slice's edge loses only its reading; its folded text is kept whole).
_SLICE = 4000

# At most this many words of a query are used (each is a condition on the search text).
MAX_WORDS = 5


def fold(text: str) -> str:
    """Width (NFKC), kana (katakana to hiragana) and case folded."""
    return jaconv.kata2hira(unicodedata.normalize("NFKC", text)).lower()


@cache
def _dictionary() -> Any:
    """The Sudachi dictionary, loaded once per process (a memory-mapped file; imported here so that a
    process that never reads kanji never loads it)."""
    from sudachipy import Dictionary  # type: ignore[import-untyped]  # no stubs shipped

    return Dictionary(dict="core")


_local = threading.local()


def _tokenizer() -> Any:
    """A tokenizer per thread: Sudachi's tokenizer keeps state while it works and is not shared."""
    tokenizer = getattr(_local, "tokenizer", None)
    if tokenizer is None:
        from sudachipy import SplitMode

        # Mode A (the shortest units): 茗荷畑 reads as 茗荷 + 畑, so はたけ finds it as well as
        # みょうが, and a query is split the same way as the text it is compared with.
        tokenizer = _local.tokenizer = _dictionary().tokenizer(SplitMode.A)
    return tokenizer


def _slices(text: str) -> Iterator[str]:
    for line in text.splitlines():
        for start in range(0, len(line), _SLICE):
            yield line[start : start + _SLICE]


def reading(text: str) -> str:
    """The text read aloud, folded: each word holding a kanji replaced by its reading, the rest kept
    (Sudachi's readings of kana, symbols and spaces are not wanted: a space reads キゴウ)."""
    if not _KANJI.search(text):
        return fold(text)
    tokenizer = _tokenizer()
    lines = []
    for part in _slices(text):
        words = tokenizer.tokenize(part)
        lines.append(
            "".join(w.reading_form() if _KANJI.search(w.surface()) else w.surface() for w in words)
        )
    return fold("\n".join(lines))


def searchable(texts: Iterable[str]) -> str:
    """What is stored for a search over these texts: their folded text, then their folded reading."""
    text = "\n".join(t for t in texts if t)
    folded = fold(text)
    read = reading(text) if _KANJI.search(text) else ""
    return f"{folded}\n{read}" if read and read != folded else folded


def program_search_text(program: Any) -> str:
    """Program.search_text for a program (or any object with its public text fields, such as the
    historical model a migration sees)."""
    return searchable(getattr(program, name) for name in PROGRAM_FIELDS)


def query_words(q: str) -> list[list[str]]:
    """The words of a query (split on half- and full-width spaces), each as the forms to look for:
    the folded word and, when it holds a kanji, its reading."""
    words = []
    for word in fold(q).split()[:MAX_WORDS]:
        forms = [word]
        if _KANJI.search(word):
            read = reading(word)
            if len(read) >= MIN_READING and read != word:
                forms.append(read)
        words.append(forms)
    return words


def keyword_q(q: str, prefix: str = "") -> Q:
    """Each word of the query must appear in the search text, in one of its forms. Japanese has no
    spaces between words, so this is substring matching (LIKE '%word%'), served on PostgreSQL by the
    pg_trgm GIN index on search_text."""
    condition = Q()
    for forms in query_words(q):
        either = Q()
        for form in forms:
            either |= Q(**{f"{prefix}search_text__contains": form})
        condition &= either
    return condition


def reindex(queryset: Any, *, batch: int = 500) -> int:
    """Recompute search_text for every program of the queryset, `batch` rows per UPDATE statement
    (the large demo has 10,000 programs). Used by the migration that brought readings in; run it
    again (manage.py shell) if an upgrade of sudachidict-core changes readings. Returns the count."""
    done = 0
    rows = queryset.only("pk", *PROGRAM_FIELDS).order_by("pk")
    chunk = []
    for program in rows.iterator(chunk_size=batch):
        program.search_text = program_search_text(program)
        chunk.append(program)
        if len(chunk) == batch:
            done += queryset.model.objects.bulk_update(chunk, ["search_text"])
            chunk = []
    if chunk:
        done += queryset.model.objects.bulk_update(chunk, ["search_text"])
    return done
