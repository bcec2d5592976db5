#!/usr/bin/env python3
"""A TCP proxy that delays every chunk by a fixed time in each direction and counts the HTTP requests it carries.

Real S3 is never on loopback: this puts a round trip of 2 × --delay-ms between a registry and its S3 server,
without limiting throughput (chunks are forwarded in order, each at its arrival time plus the delay). It parses
the client-to-server stream as HTTP/1.1 (request line, headers, Content-Length or chunked body), so requests
on keep-alive connections count one by one. `GET http://<control>/` answers the counts as JSON.

    tcp_delay.py --listen PORT --upstream HOST:PORT --control PORT [--delay-ms 5]
"""
import argparse
import asyncio
import collections
import json
import time

COUNTS = collections.Counter()  # "GET", "PUT", ... and "connections"


class RequestCounter:
    """Follows one connection's client-to-server bytes through HTTP/1.1 message boundaries."""

    def __init__(self):
        self.buf = b""
        self.body_left = 0  # bytes of a Content-Length body still to skip
        self.chunked = False

    def feed(self, data):
        self.buf += data
        while True:
            if self.body_left:
                n = min(self.body_left, len(self.buf))
                self.buf, self.body_left = self.buf[n:], self.body_left - n
                if self.body_left:
                    return
            if self.chunked:
                if not self.skip_chunk():
                    return
                continue
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > 65536:
                    self.buf = b""  # not HTTP we understand; stop counting this stream
                return
            head, self.buf = self.buf[:end].decode("latin-1"), self.buf[end + 4:]
            lines = head.split("\r\n")
            method = lines[0].split(" ", 1)[0]
            COUNTS[method] += 1
            headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
            if headers.get("transfer-encoding", "").lower() == "chunked":
                self.chunked = True
            else:
                self.body_left = int(headers.get("content-length", "0") or 0)

    def skip_chunk(self):
        """Skips one chunk of a chunked body; False when more bytes are needed."""
        eol = self.buf.find(b"\r\n")
        if eol < 0:
            return False
        size = int(self.buf[:eol].split(b";")[0], 16)
        if size == 0:
            end = self.buf.find(b"\r\n\r\n", eol)
            if end < 0:
                return False
            self.buf, self.chunked = self.buf[end + 4:], False
            return True
        if len(self.buf) < eol + 2 + size + 2:
            return False
        self.buf = self.buf[eol + 2 + size + 2:]
        return True


async def pipe(reader, writer, delay, counter=None):
    queue = asyncio.Queue()

    async def read():
        while True:
            data = await reader.read(262144)
            await queue.put((time.monotonic() + delay, data))
            if not data:
                return
            if counter:
                try:
                    counter.feed(data)
                except ValueError:
                    counter.buf = b""  # malformed chunk header: resynchronise at the next request
                    counter.chunked = False

    async def write():
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                try:
                    writer.write_eof()
                except OSError:
                    pass
                return
            writer.write(data)
            await writer.drain()

    try:
        await asyncio.gather(read(), write())
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--control", type=int, required=True)
    ap.add_argument("--delay-ms", type=float, default=5)
    args = ap.parse_args()
    host, port = args.upstream.rsplit(":", 1)
    delay = args.delay_ms / 1000

    async def proxy(client_reader, client_writer):
        COUNTS["connections"] += 1
        try:
            server_reader, server_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, server_writer, delay, RequestCounter()),
                             pipe(server_reader, client_writer, delay))

    async def control(reader, writer):
        await reader.read(4096)
        body = json.dumps(dict(COUNTS)).encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        await writer.drain()
        writer.close()

    await asyncio.start_server(proxy, "127.0.0.1", args.listen)
    await asyncio.start_server(control, "127.0.0.1", args.control)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
