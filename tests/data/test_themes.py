"""The reference matcher (what every engine's SQL computes): whole words, where a word's characters are ASCII
letters and digits after folding and every character of any script up to U+FFFF but punctuation, symbols and
spaces (themes.SEPARATORS); DOMAIN.md's matching examples."""

from __future__ import annotations

import re
import unicodedata

import pytest

from cxgov.data import themes

# letters the fold leaves as they are, in words of their own or next to ASCII letters
LETTERS = "ßøłæœđħŋþðıØÆŒŁÞªµºαΩдЖջשعमกሀ慢遅한アぁㄱ々〆ＡＺａｚ０９\u0301"
SCRIPT_PUNCTUATION = "\u061f\u060c\u0964\u037e\u0387"  # ؟ ، । and the Greek ; ·: below U+2000, read as part of a word
# punctuation, symbols and spaces beyond ASCII
SEPARATING = ("’‘“”„‚–—‐…«»‹›¿¡、。，！？：；「」『』【】〈〉《》・〜　\u200b\u200d\u2060\ufeff\ufe0f€£¥©®™°±×÷§¶•·"
              "★✓❤☺→№½²" "\u00a0\u2007\u202f" "👍😀🎉\U0001f1e9")


@pytest.mark.parametrize("text, pattern, expected", [
    ("smørrebrød", "sm", False), ("straße", "stra", False), ("Die Straße", "die", True),
    ("smørrebrød is slow", "slow", True), ("łódź", "odz", False), ("app很慢", "app", False),
    ("μslow", "slow", False), ("slowд", "slow", False), ("waitß", "wait*", True), ("await", "wait*", False),
    ("“slow”", "slow", True), ("slow…", "slow", True), ("¿slow?", "slow", True), ("«rude»", "rude", True),
    ("遅い、slow。", "slow", True), ("great👍", "great", True), ("❤️slow", "slow", True), ("slow—rude", "rude", True),
    ("took ages", "took ages", True), ("cafe\u0301", "cafe", False),  # a decomposed accent belongs to its word
    ("Café", "cafe", True), ("ÉTAIT", "etait", True),
])
def test_words_of_any_script_are_whole_and_punctuation_separates(text, pattern, expected):
    assert themes.matches(text, [pattern]) is expected


def test_domain_md_matching_examples():
    assert all(themes.matches(t, ["wait*"]) for t in ("Waited", "waiting", "WAIT"))
    assert not any(themes.matches(t, ["wait*"]) for t in ("await", "unwaited"))
    assert themes.matches("it TOOK   ages", ["took ages"]) and not themes.matches("took many ages", ["took ages"])
    assert themes.matches("Café", ["cafe"])


@pytest.mark.parametrize("letter", list(LETTERS))
def test_a_letter_next_to_a_pattern_makes_it_part_of_a_word(letter):
    for text in (f"slow{letter}", f"{letter}slow", f"a {letter}slow{letter} b"):
        assert not themes.matches(text, ["slow"]), text
    assert themes.matches(f"wait{letter}", ["wait*"]) and themes.matches(f"{letter} wait", ["wait*"])


@pytest.mark.parametrize("mark", list(SEPARATING))
def test_punctuation_symbols_and_spaces_beyond_ascii_separate_words(mark):
    for text in (f"slow{mark}", f"{mark}slow", f"x{mark}slow{mark}y", f"wait{mark}ing"):
        assert themes.matches(text, ["slow", "wait"]), text
    assert not themes.matches(f"sm{mark}", ["smo*"])


@pytest.mark.parametrize("mark", list(SCRIPT_PUNCTUATION))
def test_the_punctuation_of_scripts_below_u2000_reads_as_part_of_a_word(mark):
    assert not themes.matches(f"slow{mark}", ["slow"]) and themes.matches(f"slow {mark}", ["slow"])


def test_the_word_class_is_the_complement_of_the_separators_and_reads_as_plain_ranges():
    word = re.compile(f"[{themes.WORD}]")
    separators = [(low, high) for low, high, _ in themes.SEPARATORS]
    assert separators == sorted(separators) and all(a[1] < b[0] for a, b in zip(separators, separators[1:]))
    for code in [*range(0x20, 0x7F), *range(0x80, 0x10000, 7), *(c for r in separators for c in r), 0x1F44D]:
        if 0xD800 <= code <= 0xDFFF:
            continue
        ch = chr(code)
        expected = ch.isascii() and ch in "abcdefghijklmnopqrstuvwxyz0123456789" or (
            not ch.isascii() and code <= 0xFFFF and not any(low <= code <= high for low, high in separators))
        assert bool(word.fullmatch(ch)) is expected, hex(code)
    # nothing any engine reads specially inside brackets: only a-z0-9, literal characters beyond ASCII and '-'
    assert re.fullmatch(r"a-z0-9[^\x00-\x7f]([^\x00-\x7f]|-[^\x00-\x7f])*", themes.WORD)


def test_every_letter_and_digit_of_the_living_scripts_is_a_word_character():
    word = re.compile(f"[{themes.WORD}]")
    # read as symbols: ℓ Ⅻ ①, the tone and repeat marks among the CJK punctuation, the variation selectors and
    # combining half marks of U+FE00-U+FE2F
    symbol_blocks = ((0x2000, 0x2BFF), (0x2E00, 0x2FFF), (0x3008, 0x303F), (0xFE00, 0xFE6F), (0xFF5B, 0xFF65))
    for code in range(0x80, 0x10000):
        if 0xD800 <= code <= 0xF8FF or any(low <= code <= high for low, high in symbol_blocks):
            continue
        ch = chr(code)
        if unicodedata.category(ch)[0] in "LM" or unicodedata.category(ch) == "Nd":
            assert word.fullmatch(themes.fold(ch)), (hex(code), unicodedata.name(ch, "?"))


def test_patterns_stay_ascii_words():
    assert themes.pattern_problem("smørrebrød") is not None  # its ø is no ASCII letter after folding
    assert themes.pattern_problem("Café au lait") is None and themes.pattern_problem("…") is not None
