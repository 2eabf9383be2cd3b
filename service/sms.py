"""How many SMS segments a text takes (GSM 03.38).

A text made only of the GSM 7-bit default alphabet (and its extension table, whose
characters count twice: an escape and the character) fits 160 septets in one segment and 153
in each of a concatenated message; any other character makes the whole text UCS-2, 70 code
units in one segment and 67 in each of a concatenated message (a character beyond the BMP
counts two units).
"""

from __future__ import annotations

# GSM 03.38 basic character set (the 128 code points, in table order)
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")  # each sent as ESC + character: two septets


def is_gsm7(text: str) -> bool:
    return all(c in GSM_BASIC or c in GSM_EXTENSION for c in text)


def segments(text: str) -> int:
    """The number of SMS segments `text` is sent in (0 for an empty text)."""
    if not text:
        return 0
    if is_gsm7(text):
        units, single, multi = sum(2 if c in GSM_EXTENSION else 1 for c in text), 160, 153
    else:
        units, single, multi = len(text.encode("utf-16-le")) // 2, 70, 67
    return 1 if units <= single else -(-units // multi)
