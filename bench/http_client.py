"""A cheap HTTP/1.1 client for the benchmarks' load: the load generator shares the machine with
the services it measures, and a full client library (httpx) costs several times more CPU per
request than the service's own work; on 2 cores that would be measured as the service's."""

from __future__ import annotations

import asyncio
import contextlib


class Connection:
    """One keep-alive connection, one request at a time; answers must carry Content-Length
    (uvicorn's do)."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self._address = (host, port)
        self._common = f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\n".encode()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: str = ""
    ) -> tuple[int, bytes]:
        if self._writer is not None:
            try:
                return await self._exchange(method, path, body, headers)
            except (asyncio.IncompleteReadError, ConnectionError):
                # The server closed a kept-alive connection idle past its timeout (uvicorn:
                # 5 s); the request had not been read, so sending it again is safe.
                await self.close()
        self._reader, self._writer = await asyncio.open_connection(*self._address)
        return await self._exchange(method, path, body, headers)

    async def _exchange(
        self, method: str, path: str, body: bytes, headers: str
    ) -> tuple[int, bytes]:
        assert self._reader is not None and self._writer is not None
        head = f"{method} {path} HTTP/1.1\r\n".encode() + self._common
        if body:
            head += (
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{headers}\r\n"
            ).encode()
        else:
            head += f"{headers}\r\n".encode()
        self._writer.write(head + body)
        lines = (await self._reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        for line in lines[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return status, await self._reader.readexactly(length)

    async def close(self) -> None:
        if self._writer is not None:
            writer, self._writer, self._reader = self._writer, None, None
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


class ConnectionPool:
    """Keep-alive connections handed out one request at a time; a request waits for a free
    connection once ``size`` are busy (that wait counts in its latency)."""

    def __init__(self, host: str, port: int, token: str, size: int) -> None:
        self._all = [Connection(host, port, token) for _ in range(size)]
        self._free: asyncio.Queue[Connection] = asyncio.Queue()
        for connection in self._all:
            self._free.put_nowait(connection)

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: str = ""
    ) -> tuple[int, bytes]:
        connection = await self._free.get()
        try:
            return await connection.request(method, path, body, headers)
        finally:
            self._free.put_nowait(connection)

    async def close(self) -> None:
        for connection in self._all:
            await connection.close()
