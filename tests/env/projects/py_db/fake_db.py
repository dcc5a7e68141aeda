"""Stands in for the database in tests: answers `ping` with `pong` on the port it is given."""

import socketserver
import sys


class Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        if self.rfile.readline().strip() == b"ping":
            self.wfile.write(b"pong\n")


if __name__ == "__main__":
    socketserver.TCPServer.allow_reuse_address = True
    with socketserver.TCPServer(("127.0.0.1", int(sys.argv[1])), Handler) as server:
        server.serve_forever()
