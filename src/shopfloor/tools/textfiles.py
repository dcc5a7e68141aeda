"""Text files as the file tools see them: binary sniffing, decoding, line endings, numbers, atomic writes."""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path

# Extensions whose files are never useful as text, even when their first bytes happen to hold no NUL.
_BINARY_EXTENSION_WORDS = """
    png jpg jpeg gif bmp ico icns tif tiff webp avif heic psd svgz
    mp3 mp4 m4a m4v mov avi mkv webm wav flac ogg oga opus aac wma wmv
    zip gz tgz bz2 xz zst 7z rar tar lz lz4 lzma jar war ear whl egg apk ipa dmg iso img deb rpm
    pdf doc docx xls xlsx ppt pptx odt ods odp epub
    so dll dylib exe bin o a obj lib pyc pyo pyd class wasm dex node
    sqlite sqlite3 db mdb parquet feather arrow avro orc npy npz pkl pickle h5 hdf5 pt pth onnx
    safetensors ckpt tflite
    ttf otf woff woff2 eot
"""
BINARY_EXTENSIONS = frozenset(_BINARY_EXTENSION_WORDS.split())

SNIFF_BYTES = 8192
"""How much of a file's head is searched for NUL bytes."""

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}


def has_binary_extension(path: Path) -> bool:
    return path.suffix.lower().lstrip(".") in BINARY_EXTENSIONS


def looks_binary(path: Path, data: bytes) -> bool:
    """True for a known binary extension or a NUL byte in the first 8 KiB (UTF-16 text excepted)."""
    if has_binary_extension(path):
        return True
    if data[:2] in _UTF16_BOMS:
        return False
    return b"\x00" in data[:SNIFF_BYTES]


@dataclass(frozen=True)
class TextDoc:
    """A file's text with "\\n" line endings, plus what is needed to write it back the way it was."""

    text: str
    crlf: bool
    """True when most line breaks were CRLF; the text is written back with CRLF."""
    bom: bytes
    encoding: str
    errors: str

    def encode(self, text: str) -> bytes:
        """Bytes for `text` (with "\\n" endings) in this file's encoding, BOM and line endings."""
        if self.crlf:
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        return self.bom + text.encode(self.encoding, self.errors)


def decode(data: bytes, *, lossless: bool = False) -> TextDoc:
    """Decode file bytes; never raises.

    Invalid UTF-8 becomes U+FFFD for display, or (with `lossless`, for editing) escapes that encode
    back to the very same bytes, so an edit never damages the parts of a file it did not touch.
    """
    bom = b""
    encoding = "utf-8"
    errors = "surrogateescape" if lossless else "replace"
    if data.startswith(_UTF8_BOM):
        bom = _UTF8_BOM
    elif data[:2] in _UTF16_BOMS:
        bom, encoding, errors = data[:2], _UTF16_BOMS[data[:2]], "replace"
    text = data[len(bom) :].decode(encoding, errors)
    crlf_count = text.count("\r\n")
    # Mixed endings are normalised to whichever kind the file mostly uses.
    crlf = crlf_count > 0 and crlf_count >= text.count("\n") - crlf_count
    if crlf_count:
        text = text.replace("\r\n", "\n")
    return TextDoc(text, crlf, bom, encoding, errors)


def split_lines(text: str) -> list[str]:
    """Lines of "\\n"-separated text; a final newline does not start an extra empty line."""
    if not text:
        return []
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    return lines


def number_line(n: int, line: str) -> str:
    """One line as Read shows it: the 1-based number right-aligned to width 6, a tab, the text."""
    return f"{n:>6}\t{line}"


def number_lines(lines: list[str], first: int = 1) -> str:
    return "\n".join(number_line(first + i, line) for i, line in enumerate(lines))


def displayable(text: str) -> str:
    """Text safe to show: escaped undecodable bytes become U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def close_name(path: Path) -> Path | None:
    """A sibling whose name is close to `path`'s (a likely typo), or None."""
    try:
        names = [e.name for e in os.scandir(path.parent)]
    except OSError:
        return None
    matches = difflib.get_close_matches(path.name, names, n=1, cutoff=0.6)
    return path.parent / matches[0] if matches else None


def missing_file_error(path: Path) -> str:
    """The message for a file that does not exist, with a close-name suggestion when there is one."""
    msg = f"Error: File does not exist: {path}."
    guess = close_name(path)
    if guess is not None:
        msg += f" Did you mean {guess}?"
    elif not path.parent.is_dir():
        msg += f" Its directory {path.parent} does not exist either."
    return msg
