"""A seccomp filter that stops sandboxed commands from creating Unix sockets.

Without a network namespace's help, a Unix socket file anywhere on the (read-only) file system stays
connectable: a docker.sock, an ssh-agent, a database. The filter answers `socket(AF_UNIX, ...)` with
EPERM; `socketpair()` (pipes between a program's own processes) keeps working. It is a classic BPF
program in the form bubblewrap's `--seccomp FD` reads.
"""

from __future__ import annotations

import errno
import os
import platform
import struct

_AUDIT_ARCH = {
    "x86_64": 0xC000003E,
    "i386": 0x40000003,
    "aarch64": 0xC00000B7,
    "arm": 0x40000028,
}
# socket() by architecture; i386 also reaches sockets through socketcall(), which hides its arguments.
_SOCKET_NR = {"x86_64": (41, 0x40000000 | 41), "i386": (359,), "aarch64": (198,), "arm": (281,)}
_I386_SOCKETCALL = 102
# Which foreign ABIs a native kernel also runs.
_COMPAT = {"x86_64": ("x86_64", "i386"), "aarch64": ("aarch64", "arm")}

_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_RET_K = 0x06  # BPF_RET | BPF_K
_RET_ALLOW = 0x7FFF0000
_RET_EPERM = 0x00050000 | errno.EPERM
_NR, _ARCH, _ARG0 = 0, 4, 16  # offsets in struct seccomp_data (args[0]'s low word on little endian)
AF_UNIX = 1


def _native() -> str | None:
    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64"):
        return "x86_64"
    if machine in ("aarch64", "arm64"):
        return "aarch64"
    return None


def _insn(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def unix_socket_filter() -> bytes | None:
    """The compiled filter for this machine, or None where its system call numbers are not known here."""
    native = _native()
    if native is None or struct.pack("=I", 1)[0] != 1:  # the argument offset assumes little endian
        return None
    # Per architecture: "arch matches? then for each socket number: match -> check the family".
    body: list[bytes] = []
    for arch in _COMPAT[native]:
        block: list[bytes] = [_insn(_LD_W_ABS, _NR)]
        numbers = _SOCKET_NR[arch]
        for i, nr in enumerate(numbers):
            # Jump to the family check that follows the list (and the socketcall test on i386).
            rest = len(numbers) - 1 - i + (1 if arch == "i386" else 0)
            block.append(_insn(_JEQ_K, nr, jt=rest + 1, jf=0))
        if arch == "i386":  # socketcall: refuse every socket call of a 32-bit program (the EPERM below)
            block.append(_insn(_JEQ_K, _I386_SOCKETCALL, jt=4, jf=0))
        block.append(_insn(_RET_K, _RET_ALLOW))
        block += [
            _insn(_LD_W_ABS, _ARG0),
            _insn(_JEQ_K, AF_UNIX, jt=1, jf=0),
            _insn(_RET_K, _RET_ALLOW),
            _insn(_RET_K, _RET_EPERM),
        ]
        body.append(_insn(_LD_W_ABS, _ARCH))
        body.append(_insn(_JEQ_K, _AUDIT_ARCH[arch], jt=0, jf=len(block)))
        body += block
    body.append(_insn(_RET_K, _RET_ALLOW))
    return b"".join(body)


_program: bytes | None = None
_memfd: int | None = None


def filter_fd() -> int | None:
    """A new read descriptor on the filter (bubblewrap reads it to the end), or None without a filter."""
    global _program, _memfd
    if _memfd is None:
        _program = unix_socket_filter()
        if _program is None:
            return None
        fd = os.memfd_create("shopfloor-seccomp", os.MFD_CLOEXEC)
        os.write(fd, _program)
        _memfd = fd
    # A fresh open gives a fresh file offset, so concurrent commands never share one.
    return os.open(f"/proc/self/fd/{_memfd}", os.O_RDONLY)
