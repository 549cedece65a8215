"""Theme patterns: whole words, case- and accent-insensitive, `*` for any word ending, phrases across any whitespace.

A text and a pattern are compared after folding: each character of FOLD_FROM becomes the one at the same place of
FOLD_TO (upper case to lower case, accented Latin letters to their base letter, no-break spaces to spaces); every
engine folds with its translate() over these two strings, bound as parameters, so the same texts match everywhere
(lower() and accent stripping differ between engines and locales; DuckDB's lower() is locale-free, and folds an
ASCII text exactly as the table does, so DuckDB uses it for those). A word is a run of WORD characters; anything
else (punctuation, other scripts) separates words. A pattern becomes one regular expression in the syntax
DuckDB (RE2), PostgreSQL (ARE) and Spark (Java) read alike; `regex` builds it from validated words, so no
pattern text reaches SQL as SQL.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable


def _fold_table() -> tuple[str, str]:
    sources, targets = [], []
    for code in list(range(0x41, 0x5B)) + list(range(0xC0, 0x250)):
        ch = chr(code)
        if "A" <= ch <= "Z":
            base = ch.lower()
        else:
            decomposed = unicodedata.normalize("NFD", ch)
            base = decomposed[0].lower() if decomposed and decomposed[0].isascii() else ""
            if not (len(base) == 1 and base.isalpha() and len(decomposed) > 1):
                continue
        sources.append(ch)
        targets.append(base)
    for space in ("\u00a0", "\u2007", "\u202f"):
        sources.append(space)
        targets.append(" ")
    return "".join(sources), "".join(targets)


FOLD_FROM, FOLD_TO = _fold_table()
_FOLD = str.maketrans(FOLD_FROM, FOLD_TO)
WORD = "a-z0-9"  # the word characters, after folding
SPACE = " \t\n\r\x0b\x0c"  # what may stand between the words of a phrase
_WORD_RE = re.compile(f"[{WORD}]+")
_ALLOWED = re.compile(r"^[a-z0-9' -]+\*?$")


def fold(text: str) -> str:
    """`text` as every engine folds it before matching."""
    return text.translate(_FOLD)


def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` cannot be matched (a reason, as a clause), or None when it is fine."""
    folded = fold(pattern.strip())
    if not folded or not _WORD_RE.search(folded):
        return "it has no word to match"
    if not _ALLOWED.match(folded):
        return ("it may hold only letters, digits, spaces, ' and -, with one `*` at the very end "
                "(accented Latin letters are read without their accents)")
    return None


def _words(pattern: str) -> str:
    """One pattern as a regular expression (without the word boundaries around it)."""
    folded = fold(pattern.strip())
    star = folded.endswith("*")
    words = folded.rstrip("*").split()
    body = f"[{SPACE}]+".join(w.replace("-", "[-]") for w in words)
    return body + (f"[{WORD}]*" if star else "")


def literal(pattern: str) -> str:
    """The longest run of plain characters every text matching `pattern` contains once folded (a word, or the stem
    of a word with `*`): a substring test an engine makes far faster than the regular expression, so that the
    expression runs only on the few texts that may match."""
    words = fold(pattern.strip()).rstrip("*").split()
    return max(words, key=lambda w: (len(w), w))


def literals(patterns: Iterable[str]) -> tuple[str, ...]:
    """The `literal` of each pattern, sorted, without those containing another (a text containing "wait" contains
    "wait" whatever follows): a text matching any of `patterns` contains one of them."""
    found = sorted({literal(p) for p in patterns}, key=lambda w: (len(w), w))
    kept: list[str] = []
    for word in found:
        if not any(k in word for k in kept):
            kept.append(word)
    return tuple(sorted(kept))


def regex(patterns: Iterable[str]) -> str:
    """One regular expression matching a folded text that contains any of `patterns` as whole words."""
    alternatives = sorted({_words(p) for p in patterns})
    if not alternatives:
        raise ValueError("no patterns to match")
    return f"(^|[^{WORD}])({'|'.join(alternatives)})($|[^{WORD}])"


def matches(text: str | None, patterns: Iterable[str]) -> bool:
    """The reference matcher (what the SQL of every engine computes), in plain Python."""
    if text is None:
        return False
    return re.search(regex(patterns), fold(text)) is not None


def is_blank(text: str | None) -> bool:
    """NULL or empty (or only spaces) texts and categories: counted as missing, never as a cause."""
    return text is None or not text.strip(" ")
