"""`[env] services`: what the project's tests need running (a database, a queue), started once per run
with a readiness probe and stopped when the run ends."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from shopfloor.config.sections import ServiceSettings
from shopfloor.tools.process import RunningProcess, run_process, start_process

_POLL_S = 0.2


class ServiceFailed(Exception):
    """A service did not start or never became ready; the message says which and why."""


@dataclass(frozen=True)
class TcpProbe:
    host: str
    port: int


def parse_probe(service: ServiceSettings) -> TcpProbe | str | None:
    """`tcp:PORT` or `tcp:HOST:PORT` as a port probe, anything else as a command; None for no probe."""
    ready = (service.ready or "").strip()
    if not ready:
        return TcpProbe("127.0.0.1", service.port) if service.port else None
    if ready.startswith("tcp:"):
        host, _, port = ready.removeprefix("tcp:").rpartition(":")
        try:
            return TcpProbe(host or "127.0.0.1", int(port))
        except ValueError:
            raise ServiceFailed(f"service {service.name}: bad probe {ready!r} (write tcp:PORT)") from None
    return ready


def service_port(service: ServiceSettings) -> int | None:
    """The port a service serves: its `port`, else its `tcp:` probe's."""
    if service.port:
        return service.port
    try:
        probe = parse_probe(service)
    except ServiceFailed:
        return None
    return probe.port if isinstance(probe, TcpProbe) else None


async def port_open(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 2.0)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


class Services:
    """The run's services: started together, stopped together."""

    def __init__(self, cwd: Path, env: Mapping[str, str], log: Callable[[str], None]) -> None:
        self.cwd = cwd
        self.env = dict(env)
        self.log = log
        self.running: list[tuple[ServiceSettings, RunningProcess]] = []

    async def start(self, services: list[ServiceSettings]) -> None:
        """Start each service and wait until its probe answers; raises ServiceFailed."""
        for service in services:
            proc = await start_process(
                ["bash", "-c", service.command], cwd=self.cwd, sink=self._sink(service.name), env=self.env
            )
            self.running.append((service, proc))
            await self._wait_ready(service, proc)

    def _sink(self, name: str) -> Callable[[bytes], None]:
        return lambda data: self.log(f"[{name}] " + data.decode("utf-8", errors="replace"))

    async def _wait_ready(self, service: ServiceSettings, proc: RunningProcess) -> None:
        probe = parse_probe(service)
        deadline = time.monotonic() + service.timeout_s
        while True:
            if proc.returncode is not None:
                raise ServiceFailed(
                    f"service {service.name} (`{service.command}`) exited with code {proc.returncode} "
                    "before it was ready"
                )
            if probe is None or await self._probe(probe):
                self.log(f"[{service.name}] ready\n")
                return
            if time.monotonic() > deadline:
                raise ServiceFailed(
                    f"service {service.name} was not ready after {service.timeout_s:g}s "
                    f"(probe: {service.ready or f'tcp:{service.port}'})"
                )
            await asyncio.sleep(_POLL_S)

    async def _probe(self, probe: TcpProbe | str) -> bool:
        if isinstance(probe, TcpProbe):
            return await port_open(probe.host, probe.port)
        done = await run_process(["bash", "-c", probe], cwd=self.cwd, timeout_s=10.0, env=self.env)
        return done.exit_code == 0

    async def stop(self) -> None:
        """Stop every service (its whole process group), newest first."""
        while self.running:
            service, proc = self.running.pop()
            proc.kill(signal.SIGTERM)  # a database wants to shut down cleanly
            await proc.wait(5.0)
            await proc.close(0.0)
            self.log(f"[{service.name}] stopped\n")
