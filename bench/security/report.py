#!/usr/bin/env python3
"""Prints bench/results/security.json as the table in bench/README.md ("Security")."""

import json
import sys


def get(results, attack, *path):
    value = results.get(attack, {})
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


ROWS = [
    ("wrong codes checked per minute, one email, 8 addresses", "guesses", ("checked_per_minute",), 10),
    ("  answers per second (429s included)", "guesses", ("answers_per_second",), None),
    ("extra RSS, 1,000 sockets × partial 2 MiB frame (MiB)", "partial_frames_2mib", ("extra_mib",), 64),
    ("  sockets the server closed within 15 s", "partial_frames_2mib", ("closed_by_server",), None),
    ("extra RSS, 1,000 sockets × partial 32 KiB frame (MiB)", "partial_frames_32kib", ("extra_mib",), 64),
    ("extra RSS, 500 × 390 KB unfinished headers (MiB)", "slow_headers", ("extra_mib",), 64),
    ("  requests still open after 15 s", "slow_headers", ("still_open_after_hold",), None),
    ("worst frame CPU per byte ÷ junk, 1 MiB frames", "cpu_1mib", ("worst_over_junk",), 3),
    ("  worst frame ns of CPU per byte", "cpu_1mib", ("topics", "cpu_ns_per_byte"), None),
    ("worst frame CPU per byte ÷ junk, 16 KiB frames", "cpu_16kib", ("worst_over_junk",), 3),
    ("legit load p50 / p99 (ms), quiet", "quiet", ("legit",), None),
    ("  during the guesses", "guesses", ("legit",), 50),
    ("  during the 2 MiB partial frames", "partial_frames_2mib", ("legit",), 50),
    ("  during the slow headers", "slow_headers", ("legit",), 50),
    ("  during the 1 MiB worst frames", "cpu_1mib", ("legit",), 50),
    ("  during 40 sockets × 32 loads in flight", "in_flight", ("legit",), 50),
]


def show(value):
    if value is None:
        return "–"
    if isinstance(value, dict):
        if "p50_ms" not in value:
            return f"no answer ({value.get('failures', 0)} failures)"
        return f"{value['p50_ms']} / {value['p99_ms']}"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}".rstrip("0").rstrip(".")


def main():
    with open(sys.argv[1] if len(sys.argv) > 1 else "bench/results/security.json") as f:
        report = json.load(f)
    before = report["versions"]["before"]
    after = report["versions"]["after"]
    print(f"{report['date']}, {report['machine']}")
    print(f"| attack | before ({before['commit']}) | after ({after['commit']}) | goal |")
    print("|---|---:|---:|---:|")
    for label, attack, path, goal in ROWS:
        b = get(before["results"], attack, *path)
        a = get(after["results"], attack, *path)
        goal_text = "" if goal is None else (f"p99 ≤ {goal}" if path == ("legit",) else f"≤ {goal}")
        print(f"| {label} | {show(b)} | {show(a)} | {goal_text} |")


if __name__ == "__main__":
    main()
