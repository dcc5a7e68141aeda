"""Runs inside the sandbox, in front of a confined command: the run's services' loopback ports, reachable
there without the host's network.

It listens on each port in the sandbox's own network namespace; for each connection it asks shopfloor
(over an inherited socket) for one connected to the host's port, and carries the bytes between the two.
Then it runs the command and exits as it does. It is started before every command of a project with
services, as `python -I -S -c SOURCE FD PORTS -- COMMAND...`, so it imports only built-in modules
(`_socket`, `_thread`: their Python wrappers cost more to import than the rest of its start). A signal
needs no passing on: shopfloor stops the whole process group, and the sandbox's pid namespace ends with
the relay.
"""

from __future__ import annotations

import _socket
import _thread
import os
import sys

_FD_SIZE = 4  # one int in an SCM_RIGHTS message


def _pump(src: _socket.socket, dst: _socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
        dst.shutdown(_socket.SHUT_WR)  # the other side sees the end of what this side sent
    except OSError:
        pass


def _ask(control: _socket.socket, port: int) -> int | None:
    """A descriptor connected to the host's `port`, from shopfloor; None when it could not connect."""
    control.sendall(port.to_bytes(2, "big"))
    _, ancillary, _, _ = control.recvmsg(1, _socket.CMSG_SPACE(_FD_SIZE))
    for level, kind, data in ancillary:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS and len(data) >= _FD_SIZE:
            return int.from_bytes(data[:_FD_SIZE], sys.byteorder)
    return None


def _serve(listener: _socket.socket, port: int, control: _socket.socket, lock: _thread.LockType) -> None:
    while True:
        fd, _ = listener._accept()  # type: ignore[attr-defined]  # _socket's accept, without a wrapper
        conn = _socket.socket(fileno=fd)
        with lock:  # one request and its answer at a time on the shared socket
            upstream_fd = _ask(control, port)
        if upstream_fd is None:  # the service is not answering outside either
            conn.close()
            continue
        upstream = _socket.socket(fileno=upstream_fd)
        _thread.start_new_thread(_pump, (conn, upstream))
        _thread.start_new_thread(_pump, (upstream, conn))


def _listen(port: int) -> _socket.socket:
    s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    s.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    return s


def main(args: list[str]) -> int:
    fd, ports, dashes, *command = args
    if dashes != "--" or not command:
        os.write(2, b"usage: port_relay FD PORT[,PORT...] -- COMMAND...\n")
        return 2
    os.set_inheritable(int(fd), False)  # the command does not get it
    control = _socket.socket(fileno=int(fd))
    listeners = [(_listen(int(p)), int(p)) for p in ports.split(",")]  # before the command connects
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(command[0], command)
        finally:
            os.write(2, f"{command[0]}: cannot run\n".encode())
            os._exit(127)
    lock = _thread.allocate_lock()
    for listener, port in listeners:
        _thread.start_new_thread(_serve, (listener, port, control, lock))
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
