"""The text of a workbook's first 64 KiB, for sniffing without the whole file.

An .xlsx is a zip whose central directory sits at the end, so calamine cannot open a prefix. But the
zip's local entries come in order, each with its own header: walk those that lie in the prefix and
inflate what is there of the worksheets and the shared strings (a truncated deflate stream still
inflates up to where it was cut). The header row is near the start of both, so its labels are
usually in reach; when they are not, the caller falls back on the file name.
"""

from __future__ import annotations

import html
import re
import struct
import zlib

from downline.core.carriers.kit.cells import header_key

ZIP_ENTRY = b"PK\x03\x04"
CENTRAL_DIRECTORY = b"PK\x01\x02"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (binary Excel): nothing to read here
_ENTRY = struct.Struct("<4sHHHHHIIIHH")
_TEXT = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?>([^<]*)</(?:\w+:)?t>")
_MAX_INFLATE = 1 << 20


def head_words(head: bytes) -> set[str] | None:
    """The header keys of the cell texts found in a workbook's prefix; None if it is no workbook."""
    if head.startswith(OLE_MAGIC):
        return set()
    if not head.startswith(ZIP_ENTRY):
        return None
    words: set[str] = set()
    names = []
    for name, data in _entries(head):
        names.append(name)
        if name.startswith(("xl/worksheets/", "xl/sharedStrings")):
            texts = (html.unescape(m.decode("utf-8", "replace")) for m in _TEXT.findall(data))
            words.update(header_key(text) for text in texts)
    if any(name.startswith("xl/") for name in names):
        return words - {""}
    if any(name.startswith(("word/", "ppt/")) for name in names) or CENTRAL_DIRECTORY in head:
        return None  # another kind of zip, or a zip whose every entry was in reach
    return set()  # the entries in reach say nothing either way


def _entries(head: bytes):
    """(name, inflated prefix of the data) for each local zip entry that starts in `head`."""
    position = 0
    while head.startswith(ZIP_ENTRY, position) and position + _ENTRY.size <= len(head):
        _, _, flags, method, _, _, _, size, _, name_len, extra_len = _ENTRY.unpack_from(
            head, position
        )
        start = position + _ENTRY.size + name_len + extra_len
        name = head[position + _ENTRY.size : start - extra_len].decode("utf-8", "replace")
        sized = not flags & 0x08  # else the sizes follow the data, in a data descriptor
        raw = head[start : start + size] if sized else head[start:]
        if method == 8:
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            try:
                data = inflater.decompress(raw, _MAX_INFLATE)
            except zlib.error:
                return
        elif method == 0 and sized:
            data = raw
        else:
            return
        yield name, data
        if sized:
            position = start + size
        elif method == 8 and inflater.eof:
            position = len(head) - len(inflater.unused_data)
            position += 16 if head.startswith(b"PK\x07\x08", position) else 12
        else:
            return
