#!/usr/bin/env python3
"""The attacks of issue 14, run against a release Scoreboard binary; prints one JSON object.

    attack.py --server PATH --db PATH --contract HEX [--only guesses,frames,...]

Each attack starts a fresh server (ADDR=127.0.0.1:0, a copy of the seeded database,
development mode, RUST_LOG=warn), so every RSS figure has its own baseline. Attackers bind
127.0.0.2-127.0.0.9, as a few machines would; the legitimate client is 127.0.0.1 and loads
`/games` over the WebSocket, one request at a time, for the whole attack. Standard library only,
so the same script measures any version of the server. Every loop is bounded in time.
"""

import argparse
import asyncio
import base64
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ATTACKERS = [f"127.0.0.{n}" for n in range(2, 10)]
LEGIT = "127.0.0.1"
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
MIB = 1024 * 1024


# ------------------------------------------------------------------------------------------------
# The server process


def proc_field(pid, name):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    return 0


def rss_mib(pid):
    return proc_field(pid, "VmRSS") / 1024


def cpu_secs(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


class Server:
    """One server process on a free port, stopped on exit."""

    def __init__(self, binary, db):
        self.dir = tempfile.mkdtemp(prefix="rally-secbench-")
        self.db = os.path.join(self.dir, "scoreboard.db")
        shutil.copyfile(db, self.db)
        env = dict(os.environ, ADDR="127.0.0.1:0", DATABASE_PATH=self.db, RUST_LOG="warn",
                   APP_ENV="development")
        self.child = subprocess.Popen([os.path.abspath(binary)], env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, cwd=self.dir, text=True)
        deadline = time.time() + 20
        while time.time() < deadline:
            line = self.child.stdout.readline()
            if "listening on http://" in line:
                address = line.split("http://", 1)[1].strip()
                self.host, port = address.rsplit(":", 1)
                self.port = int(port)
                break
        else:
            self.stop()
            raise SystemExit(f"{binary} did not start in 20 s")
        self.pid = self.child.pid
        time.sleep(0.5)

    def rss(self):
        return rss_mib(self.pid)

    def cpu(self):
        return cpu_secs(self.pid)

    def stop(self):
        if self.child.poll() is None:
            self.child.terminate()
            try:
                self.child.wait(10)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


# ------------------------------------------------------------------------------------------------
# WebSocket and postcard, just enough


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def request_frame(request_id, page, message):
    page = page.encode()
    return b"\x00" + varint(request_id) + varint(len(page)) + page + varint(len(message)) + message


def frame_header(length, opcode=2):
    """A client frame header with a zero mask key (legal, and the payload goes out as is)."""
    first = bytes([0x80 | opcode])
    if length < 126:
        head = first + bytes([0x80 | length])
    elif length < 65536:
        head = first + bytes([0x80 | 126]) + length.to_bytes(2, "big")
    else:
        head = first + bytes([0x80 | 127]) + length.to_bytes(8, "big")
    return head + b"\x00\x00\x00\x00"


def frame(payload, opcode=2):
    return frame_header(len(payload), opcode) + payload


async def connect(server, source):
    return await asyncio.wait_for(
        asyncio.open_connection(server.host, server.port, local_addr=(source, 0)), 5)


async def ws_open(server, contract, source):
    reader, writer = await connect(server, source)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /ws?contract={contract} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n"
                  f"Origin: http://{server.host}:{server.port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    if not head.startswith(b"HTTP/1.1 101"):
        writer.close()
        raise ConnectionError(head.split(b"\r\n", 1)[0].decode(errors="replace"))
    return reader, writer


async def read_frame(reader):
    """(opcode, payload) of the next server frame."""
    b0, b1 = await reader.readexactly(2)
    length = b1 & 0x7F
    if length == 126:
        length = int.from_bytes(await reader.readexactly(2), "big")
    elif length == 127:
        length = int.from_bytes(await reader.readexactly(8), "big")
    return b0 & 0x0F, await reader.readexactly(length)


def result_id(payload):
    """The request id of a `Result` frame, else None."""
    if not payload or payload[0] != 0:
        return None
    value, shift, i = 0, 0, 1
    while True:
        byte = payload[i]
        value |= (byte & 0x7F) << shift
        i += 1
        if byte < 0x80:
            return value
        shift += 7


class Legit:
    """A signed-out tab loading /games over its socket, one request at a time."""

    def __init__(self, server, contract):
        self.server, self.contract = server, contract
        self.latencies, self.failures = [], 0

    async def run(self, stop):
        request_id = 0
        reader = writer = None
        while not stop.is_set():
            try:
                if writer is None:
                    reader, writer = await ws_open(self.server, self.contract, LEGIT)
                request_id += 1
                started = time.perf_counter()
                writer.write(frame(request_frame(request_id, "public/pages/games", b"\x00")))
                await writer.drain()
                while True:
                    opcode, payload = await asyncio.wait_for(read_frame(reader), 10)
                    if opcode == 9:
                        writer.write(frame(payload, opcode=10))
                    elif opcode == 8:
                        raise ConnectionError("closed")
                    elif result_id(payload) == request_id:
                        break
                self.latencies.append((time.perf_counter() - started) * 1000)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError):
                self.failures += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
                await asyncio.sleep(0.05)
        if writer is not None:
            writer.close()

    def summary(self):
        if not self.latencies:
            return {"loads": 0, "failures": self.failures}
        ordered = sorted(self.latencies)
        pick = lambda q: round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)
        return {"loads": len(ordered), "failures": self.failures, "p50_ms": pick(0.50),
                "p99_ms": pick(0.99), "max_ms": round(ordered[-1], 2)}


async def with_legit(server, contract, attack):
    """Runs `attack()` while a legitimate client loads; the attack's result plus its latencies."""
    stop = asyncio.Event()
    legit = Legit(server, contract)
    task = asyncio.create_task(legit.run(stop))
    try:
        result = await attack()
    finally:
        stop.set()
        await task
    result["legit"] = legit.summary()
    return result


# ------------------------------------------------------------------------------------------------
# The attacks


async def http_exchange(reader, writer, request):
    writer.write(request)
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    lines = head.decode(errors="replace").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    if length:
        await asyncio.wait_for(reader.readexactly(length), 10)
    return status, headers


async def guesses(server, contract, seconds):
    """Wrong codes for one email from 8 addresses at once, as fast as answers come."""
    counts = {"checked": 0, "refused_429": 0, "other": 0}
    deadline = time.monotonic() + seconds

    async def client(source):
        reader = writer = None
        while time.monotonic() < deadline:
            try:
                if writer is None:
                    reader, writer = await connect(server, source)
                code = "".join(random.choice(CODE_ALPHABET) for _ in range(5))
                body = f"email=admin%40example.com&code={code}&return_to=%2Fadmin%2Fgames".encode()
                request = (f"POST /sign_in HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n"
                           f"Origin: http://{server.host}:{server.port}\r\n"
                           "Content-Type: application/x-www-form-urlencoded\r\n"
                           f"Content-Length: {len(body)}\r\n\r\n").encode() + body
                status, headers = await http_exchange(reader, writer, request)
                if 300 <= status < 400 and "error=invalid" in headers.get("location", ""):
                    counts["checked"] += 1
                elif status == 429:
                    counts["refused_429"] += 1
                else:
                    counts["other"] += 1
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
                counts["other"] += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
                await asyncio.sleep(0.01)
        if writer is not None:
            writer.close()

    async def attack():
        started = time.monotonic()
        await asyncio.gather(*(client(s) for s in ATTACKERS))
        elapsed = time.monotonic() - started
        return dict(counts, seconds=round(elapsed, 1),
                    checked_per_minute=round(counts["checked"] / elapsed * 60, 1),
                    answers_per_second=round(sum(counts.values()) / elapsed, 1))

    return await with_legit(server, contract, attack)


async def hold_and_sample(server, sockets, seconds):
    """Samples RSS every 0.25 s while the sockets stay open; (peak MiB, sockets the server closed)."""
    peak = server.rss()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        peak = max(peak, server.rss())
        await asyncio.sleep(0.25)
    closed = 0
    for reader, _ in sockets:
        try:
            data = await asyncio.wait_for(reader.read(65536), 0.01)
            while data:
                data = await asyncio.wait_for(reader.read(65536), 0.01)
            closed += 1
        except asyncio.TimeoutError:
            pass
        except (OSError, asyncio.IncompleteReadError):
            closed += 1
    return peak, closed


async def partial_frames(server, contract, count, announced, hold):
    """`count` sockets each announce a frame of `announced` bytes and send all but one byte."""
    baseline = server.rss()
    sockets, refused = [], 0
    header = frame_header(announced)
    body = b"\x00" * (announced - 1)
    gate = asyncio.Semaphore(64)

    async def one(n):
        nonlocal refused
        async with gate:
            try:
                reader, writer = await ws_open(server, contract, ATTACKERS[n % len(ATTACKERS)])
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError):
                refused += 1
                return
            sockets.append((reader, writer))
            try:
                writer.write(header)
                writer.write(body)
                await asyncio.wait_for(writer.drain(), 20)
            except (OSError, asyncio.TimeoutError):
                pass

    async def attack():
        started = time.monotonic()
        await asyncio.gather(*(one(n) for n in range(count)))
        sent_in = time.monotonic() - started
        peak, closed = await hold_and_sample(server, sockets, hold)
        for _, writer in sockets:
            writer.close()
        await asyncio.sleep(3)
        return {"sockets": count, "announced_bytes": announced, "refused_upgrades": refused,
                "baseline_mib": round(baseline, 1), "peak_mib": round(peak, 1),
                "extra_mib": round(peak - baseline, 1), "closed_by_server": closed,
                "held_seconds": hold, "send_seconds": round(sent_in, 1),
                "after_close_mib": round(server.rss(), 1)}

    return await with_legit(server, contract, attack)


async def slow_headers(server, contract, count, header_bytes, hold):
    """`count` requests send `header_bytes` of headers and never finish them."""
    baseline = server.rss()
    sockets, refused = [], 0
    pad = "".join(f"X-Pad-{i}: {'a' * 990}\r\n" for i in range(header_bytes // 1000)).encode()
    gate = asyncio.Semaphore(64)

    async def one(n):
        nonlocal refused
        async with gate:
            try:
                reader, writer = await connect(server, ATTACKERS[n % len(ATTACKERS)])
            except (OSError, asyncio.TimeoutError):
                refused += 1
                return
            sockets.append((reader, writer))
            try:
                writer.write(f"GET /games HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n".encode())
                writer.write(pad)
                await asyncio.wait_for(writer.drain(), 20)
            except (OSError, asyncio.TimeoutError):
                pass

    async def attack():
        await asyncio.gather(*(one(n) for n in range(count)))
        peak, closed = await hold_and_sample(server, sockets, hold)
        for _, writer in sockets:
            writer.close()
        await asyncio.sleep(2)
        return {"requests": count, "header_bytes": header_bytes, "refused_connects": refused,
                "baseline_mib": round(baseline, 1), "peak_mib": round(peak, 1),
                "extra_mib": round(peak - baseline, 1), "held_seconds": hold,
                "still_open_after_hold": len(sockets) - closed}

    return await with_legit(server, contract, attack)


async def quiet_cpu(server, settle=0.5, limit=30):
    """The server's CPU once it has stopped working (two readings `settle` s apart agree)."""
    end = time.monotonic() + limit
    last = server.cpu()
    while time.monotonic() < end:
        await asyncio.sleep(settle)
        now = server.cpu()
        if now - last < 0.01:
            return now
        last = now
    return last


async def frames_cpu(server, contract, payload, count, measure=True):
    """Server CPU for `count` copies of one frame, on as few sockets as the server allows."""
    data = frame(payload)
    before = await quiet_cpu(server) if measure else 0
    sent, reader, writer = 0, None, None
    deadline = time.monotonic() + 120
    while sent < count and time.monotonic() < deadline:
        try:
            if writer is None:
                reader, writer = await ws_open(server, contract, ATTACKERS[sent % len(ATTACKERS)])
            writer.write(data)
            await asyncio.wait_for(writer.drain(), 20)
            sent += 1
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            if writer is not None:
                writer.close()
            reader = writer = None
            sent += 1
    if writer is not None:
        writer.close()
    if not measure:
        return {"frames": sent}
    after = await quiet_cpu(server)
    cpu = after - before
    return {"frames": sent, "bytes": sent * len(payload), "cpu_seconds": round(cpu, 3),
            "cpu_ns_per_byte": round(cpu * 1e9 / max(1, sent * len(payload)), 3)}


async def cpu_per_byte(server, contract, size, count):
    """Empty topic names (the worst frame) against random junk of the same size."""
    names = size - 6
    topics = b"\x01" + varint(names) + b"\x00" * names
    junk = b"\x07" + os.urandom(len(topics) - 1)

    # CPU first, alone: a legitimate client's own loads would count as the attack's.
    worst = await frames_cpu(server, contract, topics, count)
    junk_result = await frames_cpu(server, contract, junk, count)
    ratio = worst["cpu_ns_per_byte"] / max(junk_result["cpu_ns_per_byte"], 1e-9)

    async def attack():
        # Then the worst frames again, for the legitimate client's latency.
        await frames_cpu(server, contract, topics, count, measure=False)
        return {"frame_bytes": len(topics), "topics": worst, "junk": junk_result,
                "worst_over_junk": round(ratio, 2)}

    return await with_legit(server, contract, attack)


async def in_flight_flood(server, contract, connections, in_flight, seconds):
    """`connections` anonymous sockets keep `in_flight` loads of /games outstanding each."""
    answered = 0
    deadline = time.monotonic() + seconds

    async def one(n):
        nonlocal answered
        try:
            reader, writer = await ws_open(server, contract, ATTACKERS[n % len(ATTACKERS)])
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            return
        next_id = 1
        for _ in range(in_flight):
            writer.write(frame(request_frame(next_id, "public/pages/games", b"\x00")))
            next_id += 1
        try:
            await writer.drain()
            while time.monotonic() < deadline:
                opcode, payload = await asyncio.wait_for(read_frame(reader), 10)
                if opcode == 9:
                    writer.write(frame(payload, opcode=10))
                elif opcode == 8:
                    break
                elif result_id(payload) is not None:
                    answered += 1
                    writer.write(frame(request_frame(next_id, "public/pages/games", b"\x00")))
                    next_id += 1
                    await writer.drain()
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            pass
        writer.close()

    async def attack():
        await asyncio.gather(*(one(n) for n in range(connections)))
        return {"connections": connections, "in_flight": in_flight, "seconds": seconds,
                "flood_loads_per_second": round(answered / seconds, 1)}

    return await with_legit(server, contract, attack)


async def quiet(server, contract, seconds):
    async def attack():
        await asyncio.sleep(seconds)
        return {"seconds": seconds}

    return await with_legit(server, contract, attack)


# ------------------------------------------------------------------------------------------------


ATTACKS = {
    "quiet": lambda s, c, a: quiet(s, c, 5),
    "guesses": lambda s, c, a: guesses(s, c, a.guess_seconds),
    "partial_frames_2mib": lambda s, c, a: partial_frames(s, c, 1000, 2 * MIB - 64, a.hold),
    "partial_frames_32kib": lambda s, c, a: partial_frames(s, c, 1000, 32 * 1024 - 1, a.hold),
    "slow_headers": lambda s, c, a: slow_headers(s, c, 500, 390_000, a.hold),
    "cpu_1mib": lambda s, c, a: cpu_per_byte(s, c, MIB, 100),
    "cpu_16kib": lambda s, c, a: cpu_per_byte(s, c, 16 * 1024 - 64, 3000),
    "in_flight": lambda s, c, a: in_flight_flood(s, c, 40, 32, 10),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--contract", required=True)
    parser.add_argument("--only", default=",".join(ATTACKS))
    parser.add_argument("--guess-seconds", type=float, default=60)
    parser.add_argument("--hold", type=float, default=15)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    results = {}
    for name in args.only.split(","):
        print(f"  {name} …", file=sys.stderr, flush=True)
        server = Server(args.server, args.db)
        try:
            results[name] = asyncio.run(ATTACKS[name](server, args.contract, args))
        finally:
            server.stop()
        print(f"  {name}: {json.dumps(results[name])}", file=sys.stderr, flush=True)
    json.dump(results, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
