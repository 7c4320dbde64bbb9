"""The one error type of the pipeline: a sentence a user can act on."""
from __future__ import annotations

import errno
import sys
from typing import Callable


class PipelineError(Exception):
    """A failure explained in one sentence: what happened, where, and what to do."""


class ReconciliationError(PipelineError):
    """Raw rows do not equal loaded + merged + rejected for some source."""


def disk_reason(error: BaseException) -> str:
    """Plain words for a failed write: a full disk, a folder we may not write to, or else."""
    code, text = getattr(error, "errno", None), str(error)
    lowered = text.lower()
    if code in (errno.ENOSPC, errno.EDQUOT) or "no space left" in lowered:
        return "the disk is full"
    if code in (errno.EROFS, errno.EACCES, errno.EPERM) or "permission denied" in lowered \
            or "read-only" in lowered:
        return "the folder cannot be written to"
    first = text.strip().splitlines()[0] if text.strip() else ""
    return getattr(error, "strerror", None) or first or type(error).__name__


def run_command(run: Callable[[], int], debug: bool, errors: tuple[type[BaseException], ...],
                interrupted: str | None = None) -> int:
    """Run a command-line command: an expected error is one sentence on stderr and exit
    status 1 (`--debug` raises it, with its traceback); Ctrl-C says `interrupted` and exits
    130 when given."""
    try:
        return run()
    except errors as error:
        if debug:
            raise
        print(f"Error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if interrupted is None:
            raise
        print(interrupted, file=sys.stderr)
        return 130
