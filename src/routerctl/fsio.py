"""Every file routerctl reads or writes goes through here.

Reading: a path is checked to be a regular file within a size limit before any byte is read. It
is opened with O_NONBLOCK and checked again with fstat on the open descriptor, so a FIFO never
blocks, a device (/dev/zero) is refused instead of filling memory, and a file swapped between the
check and the open is still caught. The read itself is bounded. A symlink whose target lies
outside the given `root` (the project) is refused, and errors name the path the user gave, never
the target's contents.

Writing: a temporary file in the target's directory, fsync, then os.replace, so a reader sees
the old file or the new one, never half of each. A symlink is never written through. A missing
or read-only directory is one line saying which.

This module knows nothing of YAML or JSON; callers turn FileProblem into their own report.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

from routerctl.errors import ConfigError

DEFAULT_LIMIT = 1024 * 1024
# Secrets files hold one word; anything larger is the wrong file (a log, a key ring).
SECRET_LIMIT = 64 * 1024


class FileProblem(ConfigError):
    """A file cannot be read or written safely. `code` is a stable id for reports."""

    def __init__(self, path: str, reason: str, code: str = "io", detail: str = "") -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
        self.code = code
        self.detail = detail or reason  # the reason without "cannot read <what>:"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"  # pragma: no cover - every other type is listed above


def describe(exc: OSError) -> str:
    """The OS's words for an error, except where they mislead ("Too many levels of symbolic
    links" for a link that points to itself)."""
    if exc.errno == errno.ELOOP:
        return "symlink loop (the link points back to itself)"
    return exc.strerror or type(exc).__name__


def _under(path: str, base: str) -> bool:
    return path == base or path.startswith(base.rstrip(os.sep) + os.sep)


def within(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> bool:
    """Whether `path`, with every symlink resolved, lies under `root` (also resolved)."""
    return _under(os.path.realpath(path), os.path.realpath(root))


def leaves(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> bool:
    """Whether a path inside `root` (as written) resolves to somewhere outside it. A path the
    user wrote outside the project is theirs to name; a link inside it must not lead out."""
    inside = _under(os.path.abspath(path), os.path.abspath(root))
    return inside and not within(path, root)


def check_link(path: str | os.PathLike[str], root: str | os.PathLike[str] | None) -> None:
    """Refuse a symlink that dangles, loops, or (with `root`) leads outside `root`."""
    name = os.fspath(path)
    try:
        is_link = os.path.islink(name)
    except (OSError, ValueError):  # pragma: no cover - islink swallows OSError itself
        is_link = False
    if not is_link:
        if root is not None and leaves(name, root):
            # A parent directory that is a symlink out of the project.
            raise FileProblem(
                name,
                "is inside a symlinked directory that leaves the project; refusing it",
                "symlink-outside",
            )
        return
    try:
        os.stat(name)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FileProblem(name, describe(exc), "symlink-loop") from None
        if exc.errno == errno.ENOENT:
            target = _readlink(name)
            raise FileProblem(
                name,
                f"dangling symlink (points to {target}, which does not exist)",
                "symlink-dangling",
            ) from None
        raise FileProblem(name, describe(exc)) from None
    if root is not None and leaves(name, root):
        raise FileProblem(
            name,
            "is a symlink to a file outside the project; refusing to read or write through it "
            "(copy the file into the project instead)",
            "symlink-outside",
        )


def _readlink(name: str) -> str:
    try:
        return repr(os.readlink(name))
    except OSError:  # pragma: no cover - raced away
        return "nothing"


def read_bytes(
    path: str | os.PathLike[str],
    *,
    limit: int = DEFAULT_LIMIT,
    what: str = "file",
    root: str | os.PathLike[str] | None = None,
) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; FileProblem otherwise."""
    name = os.fspath(path)
    check_link(name, root)
    try:
        before = os.stat(name)
    except OSError as exc:
        raise FileProblem(
            name, f"cannot read {what}: {describe(exc)}", detail=describe(exc)
        ) from None
    if not stat.S_ISREG(before.st_mode):
        raise FileProblem(
            name,
            f"is {_kind(before.st_mode)}; a {what} must be a regular file",
            "not-regular",
        )
    _check_size(name, before.st_size, limit, what)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(name, flags)
    except OSError as exc:
        raise FileProblem(
            name, f"cannot read {what}: {describe(exc)}", detail=describe(exc)
        ) from None
    try:
        after = os.fstat(fd)
        if not stat.S_ISREG(after.st_mode):  # swapped between stat and open
            raise FileProblem(
                name, f"is {_kind(after.st_mode)}; a {what} must be a regular file", "not-regular"
            )
        _check_size(name, after.st_size, limit, what)
        chunks: list[bytes] = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as exc:
        raise FileProblem(
            name, f"cannot read {what}: {describe(exc)}", detail=describe(exc)
        ) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    _check_size(name, len(data), limit, what)  # it grew while we read it
    return data


def read_text(
    path: str | os.PathLike[str],
    *,
    limit: int = DEFAULT_LIMIT,
    what: str = "file",
    root: str | os.PathLike[str] | None = None,
) -> str:
    """read_bytes, decoded as UTF-8 (a byte-order mark is dropped)."""
    data = read_bytes(path, limit=limit, what=what, root=root)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileProblem(
            f"{os.fspath(path)}:{line}",
            f"{what} is not valid UTF-8 (byte 0x{data[exc.start]:02x}); save it as UTF-8",
            "not-utf8",
        ) from None


def _check_size(name: str, size: int, limit: int, what: str) -> None:
    if size > limit:
        raise FileProblem(
            name,
            f"file is {size:,} bytes; {what}s are limited to {limit:,} bytes",
            "file-too-large",
        )


def atomic_write(
    path: str | os.PathLike[str],
    text: str,
    *,
    what: str = "file",
    root: str | os.PathLike[str] | None = None,
    mode: int | None = None,
    make_parents: bool = False,
) -> None:
    """Replace `path` with `text` (UTF-8, "\\n" newlines) atomically.

    `mode`: permissions for the new file (default: those of the file it replaces, else 0o666
    minus the umask, as open() would). `make_parents`: create missing directories (import
    writes into a routers/ that may not exist yet); otherwise a missing directory is an error.
    """
    target = Path(path)
    name = os.fspath(path)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        _write_checks(target, name, directory, what, root, make_parents)
    except OSError as exc:  # e.g. a name longer than the filesystem allows
        raise FileProblem(name, f"cannot write {what}: {describe(exc)}", "write") from None
    if mode is None:
        try:
            mode = target.stat().st_mode & 0o7777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:64]}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        reason = describe(exc)
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            reason = f"directory {directory} is not writable ({reason})"
        raise FileProblem(name, f"cannot write {what}: {reason}", "write") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise FileProblem(name, f"cannot write {what}: {describe(exc)}", "write") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)


def _write_checks(
    target: Path,
    name: str,
    directory: Path,
    what: str,
    root: str | os.PathLike[str] | None,
    make_parents: bool,
) -> None:
    if target.is_symlink():
        raise FileProblem(
            name,
            f"cannot write {what}: it is a symlink, and routerctl never writes through one "
            "(remove the link or write to the file it points to)",
            "symlink",
        )
    if root is not None and leaves(directory, root):
        raise FileProblem(
            name,
            f"cannot write {what}: its directory leads outside the project through a symlink",
            "symlink-outside",
        )
    if make_parents:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FileProblem(
                name, f"cannot create directory {directory}: {describe(exc)}", "write"
            ) from None
    if not directory.is_dir():
        missing = "is not a directory" if directory.exists() else "does not exist"
        raise FileProblem(
            name, f"cannot write {what}: directory {directory} {missing}; create it first", "write"
        )
    if target.exists() and not target.is_file():
        raise FileProblem(name, f"cannot write {what}: it exists and is not a regular file")


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable; not every platform or filesystem allows it."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some filesystems refuse fsync on directories
        pass
    finally:
        os.close(fd)


__all__ = [
    "DEFAULT_LIMIT",
    "SECRET_LIMIT",
    "FileProblem",
    "atomic_write",
    "check_link",
    "describe",
    "leaves",
    "read_bytes",
    "read_text",
    "within",
]
