"""Reading and splitting Python source the way the interpreter does (no Qt).

``str.splitlines`` also breaks at form feeds, U+0085, U+2028 and other separators that Python's
tokenizer treats as ordinary characters, so line numbers taken from it drift from the AST's and
the traceback's. ``source_lines`` splits at ``\\n``, ``\\r\\n`` and ``\\r`` only. ``read_source``
decodes a file as ``python FILE`` does: a UTF-8 BOM or a PEP 263 coding line is honoured.
"""

from __future__ import annotations

import io
import re
import tokenize

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def source_lines(text: str, keepends: bool = True) -> list[str]:
    """``text`` cut into the physical lines Python's tokenizer counts."""
    lines = _LINE.findall(text)
    if keepends:
        return lines
    return [line.rstrip("\r\n") for line in lines]


def decode_source(raw: bytes) -> str:
    """Bytes of a Python file as text: BOM and coding cookie honoured, newlines kept as they
    are. Raises ``SyntaxError`` for an unknown coding and ``UnicodeDecodeError`` for bytes that
    are not in it."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError:
        raw.decode("utf-8")  # bytes that are not UTF-8 and no coding line: say which byte
        raise  # an unknown coding
    if encoding == "utf-8-sig":
        raw = raw.removeprefix(b"\xef\xbb\xbf")
        encoding = "utf-8"
    return raw.decode(encoding)


def read_source(path) -> str:
    """The text of the Python file at ``path`` (see ``decode_source``)."""
    with open(path, "rb") as f:
        return decode_source(f.read())


def encoding_name(codec: str) -> str:
    """A codec's name as people write it in messages ("utf-8" -> "UTF-8")."""
    return "UTF-8" if codec.replace("_", "-").lower() in ("utf-8", "utf8") else codec
