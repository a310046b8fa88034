"""The engine's own exceptions. Each message says how to fix the problem.

The service maps these, and only these, to 4xx responses; the CLI prints the
message and exits 1. Anything else is a bug and stays a 500 / a traceback.
"""

from __future__ import annotations

import errno


class NewsQAError(Exception):
    """Base class of every error the engine raises on purpose."""


class InvalidQueryError(NewsQAError, ValueError):
    """A question or search argument that cannot be answered as given."""


class DocumentNotFoundError(NewsQAError, KeyError):
    """No document with that id in the index."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "document not found"


class IndexMismatchError(NewsQAError, ValueError):
    """The saved index was built differently from what is asked now."""


class EmbedderMismatchError(IndexMismatchError):
    """The saved index was embedded by another model or backend than the configured one."""


class IndexCorruptError(NewsQAError):
    """A saved index failed its integrity check."""


class SeedConflictError(NewsQAError, ValueError):
    """A write that would override or revive a seed article by its id."""


class StorageError(NewsQAError, OSError):
    """The disk refused a write (full, read-only, ...); the served index is untouched."""

    def __str__(self) -> str:
        return self.strerror or super().__str__()

    @property
    def disk_full(self) -> bool:
        return self.errno in (errno.ENOSPC, errno.EDQUOT)

    @classmethod
    def from_os(cls, e: OSError, what: str) -> "StorageError":
        if isinstance(e, StorageError):
            return e
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            msg = (f"the disk is full while {what}: free space on that disk (old index versions, logs) "
                   "and retry; nothing was changed and the served index is intact")
        else:
            msg = (f"{what} failed ({e.strerror or e}): check that the data folder is writable and its disk "
                   "is healthy, then retry; nothing was changed and the served index is intact")
        return cls(e.errno or errno.EIO, msg)


class InputError(NewsQAError, ValueError):
    """A file, folder or setting given to the engine that it cannot use."""
