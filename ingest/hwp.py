"""HWP 5 (.hwp, the binary OLE format of Hangul) through ``extract-hwp``.

The text goes through the same structure detection as plain text (제N장, 제N조, ①), so a statute
or guideline saved as HWP gets the same ``ch-N`` / ``art-N`` / ``art-N-M`` sections.  Table cells
come out as lines of text, in reading order.

extract-hwp returns an empty string for every malformed file and only logs why, so the checks
that matter to a user are made here first (not an OLE file, an HWPX under a .hwp name, a
password, distribution or DRM protection), and the library's logged reason is kept for the rest.
"""

from __future__ import annotations

import logging
import struct
from pathlib import Path
from typing import Any

from ingest.documents import LoadedDocument
from ingest.loaders import LoadError, _document, _text_blocks

_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_SIGNATURE = b"HWP Document File"
_PASSWORD = 1 << 1
_DISTRIBUTION = 1 << 2
_DRM = (1 << 4) | (1 << 8) | (1 << 10)  # DRM, certificate encryption, certificate DRM
_MAX_REGSECT = 0xFFFFFFFA  # above: free, end-of-chain and allocation-table markers


class _Reasons(logging.Handler):
    """Collects what extract-hwp logs about one file (it logs, then returns "")."""

    def __init__(self, path: str) -> None:
        super().__init__(logging.WARNING)
        self.path = path
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if self.path in message:
            self.messages.append(message.rsplit("오류: ", 1)[-1].strip())


def _check_complete(ole: Any, path: Path) -> None:
    """LoadError when the compound file stops before the sectors its allocation table uses."""
    size = path.stat().st_size
    sectors = int(ole.nb_sect)  # sectors after the header, a partial last one included
    sector_size = int(ole.sectorsize)
    beyond = [v for v in ole.fat if sectors <= v < _MAX_REGSECT]
    if beyond or (size - sector_size) % sector_size:
        raise LoadError(
            f"corrupt or truncated HWP file: it ends at byte {size:,}, part-way through its data "
            "(an incomplete download or copy?)"
        )


def _header_flags(path: Path) -> int:
    """The FileHeader's property flags; LoadError when the compound file is not an HWP document."""
    import olefile

    try:
        ole = olefile.OleFileIO(str(path))
    except (OSError, ValueError, struct.error) as exc:  # olefile.OleFileError is an OSError
        raise LoadError(f"corrupt or truncated HWP file: the OLE container cannot be read ({exc})") from exc
    try:
        _check_complete(ole, path)
        if not ole.exists("FileHeader"):
            raise LoadError("not an HWP document: the OLE file has no FileHeader stream (a Word .doc or other Office file?)")
        if ole.get_size("FileHeader") != 256:
            raise LoadError("corrupt HWP file: its FileHeader stream is not 256 bytes")
        with ole.openstream("FileHeader") as stream:
            header = stream.read(256)
    except LoadError:
        raise
    except (OSError, ValueError, TypeError, struct.error) as exc:
        raise LoadError(f"corrupt or truncated HWP file: {exc}") from exc
    finally:
        ole.close()
    if len(header) != 256 or not header.startswith(_SIGNATURE):
        raise LoadError("corrupt or truncated HWP file: the FileHeader signature 'HWP Document File' is missing")
    return int(struct.unpack_from("<I", header, 36)[0])


def load_hwp(path: Path) -> LoadedDocument:
    """Load an HWP 5 document.

    Raises:
        LoadError: not an HWP 5 file, password/distribution/DRM protected, truncated or corrupt.
    """
    from extract_hwp import HwpReadLimitError, extract_text_from_hwp5, is_hwp5_password_protected

    with path.open("rb") as handle:
        magic = handle.read(8)
    if magic.startswith(b"PK\x03\x04"):
        raise LoadError("this .hwp file is an HWPX (zip) document: rename it to .hwpx")
    if magic != _OLE_MAGIC:
        if len(magic) < 8:
            raise LoadError("corrupt or truncated HWP file: shorter than a file header")
        raise LoadError("not an HWP 5 file (no OLE compound-file header); HWP 3.0 and older files are not supported")
    flags = _header_flags(path)
    if is_hwp5_password_protected(str(path)):
        raise LoadError("password-protected HWP file: open it in Hangul, remove the document password and save it again")
    if flags & _DISTRIBUTION:
        raise LoadError("distribution-only HWP file (배포용 문서): its text is encrypted; ask the issuer for an editable copy")
    if flags & _DRM:
        raise LoadError("DRM-protected HWP file: its text is encrypted; save an unprotected copy first")

    reasons = _Reasons(str(path))
    root = logging.getLogger()
    root.addHandler(reasons)
    try:
        text = extract_text_from_hwp5(str(path))
    except HwpReadLimitError as exc:
        raise LoadError(f"refused: the HWP file expands beyond the reader's size limit ({exc})") from exc
    finally:
        root.removeHandler(reasons)
    if not text.strip():
        if reasons.messages:
            raise LoadError(f"corrupt or truncated HWP file: {reasons.messages[-1]}"[:300])
        raise LoadError("no text found in the document")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks, _ = _text_blocks(lines)
    return _document(path, blocks, {}, "hwp")
