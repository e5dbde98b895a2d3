"""Read files in a separate process, under a wall-clock and a memory budget.

A file that makes a parser hang, eat memory or crash must not take the caller (the server, for
an upload) with it.  :class:`LoaderWorker` keeps one child process (``python -m ingest.worker``)
that runs :func:`ingest.loaders.load_file` with its address space capped (``RLIMIT_AS``; Linux
does not enforce an RSS limit, and the address space bounds it); the parent waits at most the
time budget for each file, kills the child when it is over, and starts a fresh one for the next
file.  Documents come back as JSON, not pickle, so a child that a hostile file subverted still
cannot run code in the parent.
"""

from __future__ import annotations

import json
import os
import select
import struct
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

from ingest.documents import Block, LoadedDocument
from ingest.loaders import LoadError

_FRAME = struct.Struct("<Q")
_START_TIMEOUT_S = 120.0  # interpreter start and imports, not counted against a file's budget


def _write(stream: IO[bytes], message: dict[str, Any]) -> None:
    data = json.dumps(message, ensure_ascii=False).encode("utf-8", "surrogatepass")
    stream.write(_FRAME.pack(len(data)) + data)
    stream.flush()


def _read_exact(fd: int, size: int) -> bytes:
    parts, left = [], size
    while left:
        part = os.read(fd, min(left, 1 << 20))
        if not part:
            raise EOFError
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _to_doc(data: dict[str, Any]) -> LoadedDocument:
    blocks = [Block(**b) for b in data.pop("blocks")]
    return LoadedDocument(blocks=blocks, **data)


class LoaderWorker:
    """A child process that loads files, one at a time, within the budgets.

    Args:
        timeout_s: wall-clock budget for one file.
        max_mb: address-space budget of the child, in MB.

    Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, timeout_s: float, max_mb: int) -> None:
        self.timeout_s = timeout_s
        self.max_mb = max_mb
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> LoaderWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def load(self, path: Path, max_bytes: int | None = None, trusted: bool = False) -> LoadedDocument:
        """:func:`ingest.loaders.load_file` in the child; LoadError when a budget is exceeded."""
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        try:
            _write(proc.stdin, {"path": str(path.resolve()), "max_bytes": max_bytes, "trusted": trusted})
        except OSError as exc:  # the child died between files
            self._kill()
            raise LoadError(f"the reader process stopped unexpectedly ({exc}); try again") from exc
        ready, _, _ = select.select([proc.stdout], [], [], self.timeout_s)
        if not ready:
            self._kill()
            raise LoadError(f"refused: reading the file took longer than its {self.timeout_s:g} s time budget")
        try:
            reply = self._receive(proc)
        except (EOFError, OSError, ValueError) as exc:
            code = self._kill()
            raise LoadError(self._death(code)) from exc
        if reply["status"] == "memory" or float(reply.get("peak_mb", 0)) > self.max_mb / 2:
            self._kill()  # a fresh child for the next file: this one's heap is spent
        if reply["status"] == "ok":
            return _to_doc(reply["doc"])
        if reply["status"] == "memory":
            raise LoadError(f"refused: reading the file needs more than its {self.max_mb:,} MB memory budget")
        raise LoadError(str(reply["reason"]))

    def _death(self, code: int | None) -> str:
        if code is not None and code < 0:
            return (f"the reader process was stopped by signal {-code} while reading the file "
                    f"(over the {self.max_mb:,} MB memory budget, or a parser crash); refused")
        return f"the reader process stopped (exit code {code}) while reading the file; refused"

    def _receive(self, proc: subprocess.Popen[bytes]) -> dict[str, Any]:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        (size,) = _FRAME.unpack(_read_exact(fd, _FRAME.size))
        return dict(json.loads(_read_exact(fd, size).decode("utf-8", "surrogatepass")))

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        root = str(Path(__file__).resolve().parent.parent)
        path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
        env = {**os.environ, "PYTHONPATH": path, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        proc = subprocess.Popen([sys.executable, "-m", "ingest.worker", str(self.max_mb)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self._proc = proc
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], _START_TIMEOUT_S)
        try:
            if not ready or self._receive(proc).get("status") != "ready":
                raise EOFError
        except (EOFError, OSError, ValueError) as exc:
            code = self._kill()
            raise LoadError(f"the reader process could not start (exit code {code})") from exc
        return proc

    def _kill(self) -> int | None:
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.kill()
        code = proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        return code

    def close(self) -> None:
        """Stop the child (it exits on end of input; killed if it does not within 5 s)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def _limit_memory(max_mb: int) -> None:
    import resource

    limit = max_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _peak_mb() -> float:
    """This process's peak address space (VmPeak), in MB; 0 where /proc is not there."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def _serve(max_mb: int) -> None:
    """The child's loop: one JSON request in, one JSON reply out, until end of input."""
    # Replies go to a private copy of stdout; anything a library prints goes to stderr instead.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    requests = sys.stdin.buffer
    from dataclasses import asdict

    from ingest.loaders import load_file

    _limit_memory(max_mb)
    _write(out, {"status": "ready"})
    while True:
        header = requests.read(_FRAME.size)
        if len(header) < _FRAME.size:
            return
        (size,) = _FRAME.unpack(header)
        request = json.loads(requests.read(size))
        try:
            doc = load_file(Path(request["path"]), request["max_bytes"], request["trusted"])
            _write(out, {"status": "ok", "doc": asdict(doc), "peak_mb": _peak_mb()})
        except LoadError as exc:
            # A parser that hits the address-space cap does not always say so: libxml2 reports a
            # failed allocation as "XMLSyntaxError: unknown error".  A peak at the cap tells.
            peak = _peak_mb()
            memory = (isinstance(exc.__cause__, MemoryError) or peak >= 0.9 * max_mb
                      or "memory allocation failed" in str(exc).lower())
            _write(out, {"status": "memory" if memory else "error", "reason": str(exc), "peak_mb": peak})
        except MemoryError:
            _write(out, {"status": "memory", "reason": "", "peak_mb": max_mb})


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
