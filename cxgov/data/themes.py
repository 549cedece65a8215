"""Theme patterns: whole words, case- and accent-insensitive, `*` for any word ending, phrases across any whitespace.

A text and a pattern are compared after folding: each character of FOLD_FROM becomes the one at the same place of
FOLD_TO (upper case to lower case, accented Latin letters to their base letter, no-break spaces to spaces); every
engine folds with its translate() over these two strings, bound as parameters, so the same texts match everywhere
(lower() and accent stripping differ between engines and locales; DuckDB's lower() is locale-free, and folds an
ASCII text exactly as the table does, so DuckDB uses it for those).

A word is a run of WORD characters: after folding, the ASCII letters and digits and every character up to U+FFFF
but those of SEPARATORS, so letters the fold leaves as they are (ß ø ł æ œ þ, Greek, Cyrillic, Arabic, CJK, ...),
their marks and digits belong to the word they are in, and a pattern never matches part of a word (`sm` does not
match "smørrebrød"). Punctuation, symbols, spaces and controls separate words: ASCII ones, and beyond ASCII the
blocks SEPARATORS lists (’ “ ” – — … « » ¿ ¡, CJK punctuation 、。「」・, fullwidth ！？，, emoji and everything
else beyond U+FFFF). A decomposed accent (e and U+0301) is a character of its word, not folded.

A pattern becomes one regular expression in the syntax DuckDB (RE2), PostgreSQL (ARE, UTF8) and Spark (Java) read
alike: bracket classes of ASCII letters and digits and of literal characters and ranges beyond ASCII (the regex is a
bound parameter, never SQL text); `regex` builds it from validated ASCII words, so no pattern text reaches SQL as
SQL, and `matches` runs the same expression in Python as the reference the engines are tested against.
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
# Beyond ASCII, what separates words (first, last code point, what they are); sorted, disjoint. Every other
# character up to U+FFFF is a word character; every character beyond it separates words. Whole blocks, as few
# ranges as can be: Java's regular expressions test a character against each range of a class in turn, at every
# place of every text, so each range costs Spark time (Latin-1, below U+0100, is one table: exact and free). The
# punctuation of scripts between U+0100 and U+1FFF (Greek ; ·, Arabic ، ؟, Devanagari ।) reads as part of a word.
SEPARATORS: tuple[tuple[int, int, str], ...] = (
    (0x0080, 0x00A9, "C1 controls; Latin-1 punctuation and symbols: no-break space ¡ ¢ £ ¤ ¥ ¦ § ¨ ©"),
    (0x00AB, 0x00B4, "« ¬ soft hyphen ® ¯ ° ± ² ³ ´"),  # but ª, µ, º: letters
    (0x00B6, 0x00B9, "¶ · ¸ ¹"),
    (0x00BB, 0x00BF, "» ¼ ½ ¾ ¿"),
    (0x00D7, 0x00D7, "×"),
    (0x00F7, 0x00F7, "÷"),
    (0x2000, 0x2BFF, "General Punctuation (spaces, dashes ‐ – —, quotes ‘ ’ “ ”, … • ‹ ›, zero-width characters) "
                     "to Miscellaneous Symbols and Arrows: super- and subscripts, currency (€), letterlike symbols "
                     "(™ №), number forms, arrows, mathematical operators, technical symbols, enclosed alphanumerics, "
                     "box drawing, shapes, symbols and dingbats (★ ✓ ❤), Braille"),
    (0x2E00, 0x3004, "Supplemental Punctuation, CJK and Kangxi radicals, ideographic description characters; "
                     "ideographic space, 、 。 〃 〄"),
    (0x3008, 0x303F, "CJK brackets 〈 〉 《 》 「 」 『 』 【 】 〔 〕, 〒 〓 〜 〝 〞 〟 〠, Hangzhou numerals, 〰 〽"),
    (0x30FB, 0x30FB, "・ (katakana middle dot)"),
    (0xD800, 0xF8FF, "surrogates, private use (icon fonts)"),
    (0xFE00, 0xFE6F, "variation selectors (emoji presentation); vertical, CJK compatibility and small forms"),
    (0xFEFF, 0xFF0F, "zero-width no-break space (byte-order mark); fullwidth ！ ＂ ＃ ＄ ％ ＆ ＇ （ ） ＊ ＋ ， － ． ／"),
    (0xFF1A, 0xFF20, "fullwidth ： ； ＜ ＝ ＞ ？ ＠"),
    (0xFF3B, 0xFF40, "fullwidth ［ ＼ ］ ＾ ＿ ｀"),
    (0xFF5B, 0xFF65, "fullwidth ｛ ｜ ｝ ～ ｟ ｠; halfwidth ｡ ｢ ｣ ､ ･"),
    (0xFFE0, 0xFFFF, "fullwidth signs ￠ ￡ ￥, halfwidth symbols, specials (the replacement character �)"),
)


def _word_class() -> str:
    """The word characters as the inside of a bracket expression: a-z0-9, then the ranges between SEPARATORS up
    to U+FFFF as literal characters (no character in it is special inside brackets to any of the engines)."""
    ranges, start = [], 0x80
    for low, high, _ in SEPARATORS:
        if start < low:
            ranges.append((start, low - 1))
        start = high + 1
    if start <= 0xFFFF:
        ranges.append((start, 0xFFFF))
    return "a-z0-9" + "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)


WORD = _word_class()  # the word characters, after folding
SPACE = " \t\n\r\x0b\x0c"  # what may stand between the words of a phrase
_WORD_RE = re.compile("[a-z0-9]+")  # a pattern's words, which are ASCII after folding
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
