"""A tiny client for the project's database, which listens on PGPORT (5432 by default)."""

import os
import socket


def ping() -> bytes:
    port = int(os.environ.get("PGPORT", "5432"))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(b"ping\n")
            return conn.recv(16)
    except ConnectionRefusedError as err:
        # The message a PostgreSQL driver gives, so a person recognises it.
        raise ConnectionError(
            f'connection to server at "127.0.0.1", port {port} failed: Connection refused'
        ) from err
