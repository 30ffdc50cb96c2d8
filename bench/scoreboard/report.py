#!/usr/bin/env python3
"""Helpers for bench/scoreboard/run.sh (standard library only).

  report.py sizes OUT.json LABEL=DIR ...     gzip -9 sizes of each DIR/app_bg.wasm and DIR/app.js,
                                             and of the .gz/.br copies beside them if present
  report.py buildlog OUT.json LABEL=LOG ...  step wall times from timestamped `cargo rally build` logs
  report.py merge OUT.json PARTS_DIR META.json
                                             merges the parts into OUT.json (parts not run this
                                             time are kept from the previous OUT.json)
  report.py table OUT.json                   prints the figures as Markdown tables
"""
import json
import os
import re
import statistics
import subprocess
import sys


def gzip9(path):
    out = subprocess.run(["gzip", "-9", "-c", path], check=True, capture_output=True).stdout
    return len(out)


def sizes(out, specs):
    rows = []
    for spec in specs:
        label, d = spec.split("=", 1)
        app, profile, mount = label.split("/")
        wasm, js = os.path.join(d, "app_bg.wasm"), os.path.join(d, "app.js")
        row = {
            "app": app, "profile": profile, "mount": mount,
            "wasm_bytes": os.path.getsize(wasm), "js_bytes": os.path.getsize(js),
            "wasm_gzip": gzip9(wasm), "js_gzip": gzip9(js),
        }
        row["total_gzip"] = row["wasm_gzip"] + row["js_gzip"]
        row["total_gzip_kib"] = round(row["total_gzip"] / 1024, 1)
        # What a release server sends: the copies `rally-build --precompress` (and `cargo rally
        # build --release`) wrote, zopfli's gzip and brotli.
        for ext, key in ((".gz", "served_gzip"), (".br", "served_brotli")):
            if os.path.exists(wasm + ext) and os.path.exists(js + ext):
                row[key] = os.path.getsize(wasm + ext) + os.path.getsize(js + ext)
                row[key + "_kib"] = round(row[key] / 1024, 1)
        rows.append(row)
    # Peer: the starter's single-page bundle in the same profile.
    for row in rows:
        peer = next((r for r in rows if r["app"] == "starter" and r["profile"] == row["profile"]), None)
        if peer and row["app"] != "starter":
            row["ratio_to_starter"] = round(row["total_gzip"] / peer["total_gzip"], 2)
            row["over_starter_kib"] = round((row["total_gzip"] - peer["total_gzip"]) / 1024, 1)
    json.dump({"bundles": rows}, open(out, "w"), indent=2)
    for r in rows:
        print(f"{r['app']:<10} {r['profile']:<7} {r['mount']:<6} wasm {r['wasm_bytes']:>9} B ({r['wasm_gzip']:>7} gz)"
              f"  js {r['js_bytes']:>7} B ({r['js_gzip']:>6} gz)  total {r['total_gzip_kib']:>6} KiB gz"
              + (f"  ×{r['ratio_to_starter']} starter" if "ratio_to_starter" in r else ""), file=sys.stderr)


LINE = re.compile(r"^(\d+\.\d+) (.*)$")


def parse_log(path):
    events = []
    for raw in open(path, encoding="utf-8", errors="replace"):
        m = LINE.match(raw.rstrip("\n"))
        if m:
            events.append((float(m.group(1)), m.group(2)))
    t0 = events[0][0]
    marks = []  # (time, name)
    compiling = []
    exit_code, cpu, loads, busy = None, None, [], []
    for t, text in events:
        if text.startswith("START"):
            marks.append((t, "start"))
        elif text == "rally: generating code":
            marks.append((t, "gen"))
        elif text == "rally: building the server":
            marks.append((t, "server"))
        elif m := re.match(r"rally: building the (\S+) bundle", text):
            marks.append((t, f"{m.group(1)}:cargo"))
        elif text.strip().startswith("rally-build optimising"):
            marks.append((t, "wasm-opt"))
        elif text.strip().startswith("rally-build running wasm-bindgen"):
            marks.append((t, "bindgen"))
        elif m := re.match(r"rally: (\S+): [\d.]+ KiB gzip", text):
            marks.append((t, f"{m.group(1)}:done"))
        elif text.startswith("rally: ") and "published as" in text and not any(n == "publish" for _, n in marks):
            marks.append((t, "publish"))
        elif text.strip().startswith("Compiling "):
            compiling.append(t)
        elif text.startswith("EXIT "):
            exit_code = int(text.split()[1])
            marks.append((t, "end"))
        elif text.startswith("TIME "):
            _, e, u, s = text.split()
            cpu = {"wall_s": float(e), "user_s": float(u), "sys_s": float(s)}
        elif text.startswith("BUSY "):
            busy.append(float(text.split()[1]))
        elif text.startswith("LOAD "):
            loads.append([float(x) for x in text.split()[1:4]])
    steps = {}
    current_mount = None
    for (t, name), (t_next, _) in zip(marks, marks[1:]):
        d = round(t_next - t, 2)
        crates = sum(1 for c in compiling if t <= c < t_next)
        if name in ("start", "gen"):
            steps["gen"] = round(steps.get("gen", 0) + d, 2)
        elif name == "server":
            steps["server"] = d
            steps["server_crates_compiled"] = crates
        elif name.endswith(":cargo"):
            current_mount = name.split(":")[0]
            steps[f"{current_mount}_cargo"] = d
            steps[f"{current_mount}_crates_compiled"] = crates
        elif name in ("wasm-opt", "bindgen") and current_mount:
            key = f"{current_mount}_{'wasm_opt' if name == 'wasm-opt' else 'bindgen'}"
            steps[key] = d
        elif name.endswith(":done"):
            pass  # from the size line to the next bundle or publish: negligible, counted below
        elif name == "publish":
            steps["publish"] = d
    for mount in sorted({k.split("_")[0] for k in steps if k.endswith("_cargo")}):
        start = next(t for t, n in marks if n == f"{mount}:cargo")
        done = next((t for t, n in marks if n == f"{mount}:done"), start)
        steps[f"{mount}_bundle"] = round(done - start, 2)
    total = round(marks[-1][0] - t0, 2)
    others = None
    if cpu and len(busy) >= 2 and total > 0:
        # Machine CPU while building minus the build's own (cargo, rustc, wasm-bindgen).
        others = round(max(0.0, (busy[-1] - busy[0] - cpu["user_s"] - cpu["sys_s"]) / total), 2)
    return {"others_cpu_cores": others, "total_s": total, "steps_s": steps, "crates_compiled": len(compiling), "exit": exit_code,
            "cpu": cpu, "load_before": loads[0] if loads else None, "load_after": loads[-1] if loads else None}


def buildlog(out, specs):
    runs = []
    for spec in specs:
        label, path = spec.split("=", 1)
        r = parse_log(path)
        r["label"] = label
        runs.append(r)
        print(f"{label:<14} {r['total_s']:>7.1f} s  {r['steps_s']}  load {r['load_before']}", file=sys.stderr)
    summary = {}
    for kind in ("cold", "touch", "edit"):
        rs = [r for r in runs if r["label"].startswith(kind)]
        if rs:
            summary[kind] = {"runs": len(rs), "total_s": [r["total_s"] for r in rs],
                             "median_total_s": round(statistics.median(r["total_s"] for r in rs), 2)}
    json.dump({"runs": runs, "summary": summary}, open(out, "w"), indent=2)


def merge(out, parts_dir, meta):
    previous = {}
    if os.path.exists(out):
        try:
            previous = json.load(open(out))
        except ValueError:
            previous = {}
    result = {"meta": json.load(open(meta))}
    names = ["ssr", "ssr_gzip", "ssr_browser", "ssr_plain", "render", "click", "sizes", "build"]
    for name in names:
        path = os.path.join(parts_dir, f"{name}.json")
        if os.path.exists(path):
            part = json.load(open(path))
            part["measured"] = result["meta"]
            result[name] = part
        elif name in previous:
            result[name] = previous[name]
    waits = os.path.join(parts_dir, "waits.txt")
    if os.path.exists(waits):
        result["meta"]["load_waits"] = [l.rstrip("\n") for l in open(waits) if l.strip()]
    json.dump(result, open(out, "w"), indent=2)
    open(out, "a").write("\n")


def fmt(x, digits=0):
    if x is None:
        return "–"
    if isinstance(x, (int, float)):
        return f"{x:,.{digits}f}"
    return str(x)


def table(out):
    r = json.load(open(out))
    print(f"commit {r['meta'].get('commit')}, {r['meta'].get('date')}, {r['meta'].get('machine')}\n")
    for key, title in (("ssr", "SSR over HTTP (no compression)"), ("ssr_gzip", "SSR over HTTP, Accept-Encoding: gzip"),
                       ("ssr_browser", "SSR over HTTP, Accept-Encoding: gzip, deflate, br, zstd (what Chromium sends)"),
                       ("ssr_plain", "Without TCP_QUICKACK in the client")):
        if key not in r:
            continue
        s = r[key]
        print(f"### {title}: median of {s['rounds']} rounds × {s['secs']:.0f} s (load {s['load_average_start'][0]:.2f} → {s['load_average_end'][0]:.2f})\n")
        peers = s["peers"]
        print("| conns | path | req/s | p50 ms | p99 ms | server CPU µs/req | body B | "
              + " | ".join(f"req/s ÷ `{p}`" for p in peers) + " | CPU/req ÷ `/favicon.ico` | load | others' CPU (cores) |")
        print("|---:|---|---:|---:|---:|---:|---:|" + "---:|" * len(peers) + "---:|---:|---:|")
        for p in s["summary"]:
            ratios = p.get("ratios_to_peers", {})
            cells = " | ".join(fmt(ratios.get(q, {}).get("rps"), 3) for q in peers)
            cpu = fmt(ratios.get("/favicon.ico", {}).get("server_cpu_per_req"), 2)
            print(f"| {p['conns']} | `{p['path']}` | {fmt(p['rps'])} | {p['p50_us']/1000:.2f} | {p['p99_us']/1000:.2f} | "
                  f"{fmt(p['server_cpu_us_per_req'])} | {fmt(p['mean_body_bytes'])} | {cells} | {cpu} | {p['load1_before']:.2f} | {fmt(p.get('other_cpu_cores'), 2)} |")
        print()
    if "render" in r:
        s = r["render"]
        print(f"### In-process render, one thread (load {s['load_average_start'][0]:.2f}, others' CPU {fmt(s.get('other_cpu_cores'), 2)} cores)\n")
        print("| path | renders/s | µs/render (p50) | p99 µs | HTML B | load alone µs (p50) |")
        print("|---|---:|---:|---:|---:|---:|")
        for p in s["pages"]:
            lo = p["load_only"]
            print(f"| `{p['path']}` | {fmt(p['renders_per_s'])} | {p['p50_us']:.1f} | {p['p99_us']:.1f} | {fmt(p['html_bytes'])} | "
                  + (format(lo['p50_us'], '.1f') if lo else '–') + " |")
        print()
    if "click" in r:
        c = r["click"]
        others = c.get("cpu_cores", {}).get("others")
        print(f"### Admin click → page update, {c['clicks']} clicks (load {c['load_average_start'][0]:.2f} → {c['load_average_end'][0]:.2f}, others' CPU {fmt(others, 2)} cores)\n")
        print("| | p50 ms | p95 ms | max ms | min ms |")
        print("|---|---:|---:|---:|---:|")
        for k, label in (("click_to_peer", "click → peer `/games` updated"), ("click_to_origin", "click → origin desk updated (save round trip)"),
                         ("peer_after_origin_ms", "peer − origin")):
            s = c[k]
            print(f"| {label} | {s['p50_ms']} | {s['p95_ms']} | {s['max_ms']} | {s['min_ms']} |")
        print(f"\nratio peer/origin: p50 {c['ratio_peer_to_origin']['p50']}, p95 {c['ratio_peer_to_origin']['p95']}; "
              f"clock offset peer − origin {c['peer_minus_origin_clock_ms']} ms; failures {c['failures']}\n")
    if "sizes" in r:
        print("### Bundles, gzip -9\n")
        print("| app | profile | mount | wasm B | wasm gz | JS B | JS gz | total gz KiB | ÷ starter |")
        print("|---|---|---|---:|---:|---:|---:|---:|---:|")
        for b in r["sizes"]["bundles"]:
            print(f"| {b['app']} | {b['profile']} | {b['mount']} | {fmt(b['wasm_bytes'])} | {fmt(b['wasm_gzip'])} | {fmt(b['js_bytes'])} | "
                  f"{fmt(b['js_gzip'])} | {b['total_gzip_kib']} | {fmt(b.get('ratio_to_starter'), 2)} |")
        print()
    if "build" in r:
        print("### cargo rally build times\n")
        print("| run | total s | gen | server | admin bundle | public bundle | crates compiled | CPU user+sys s | load before | others' CPU (cores) |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for b in r["build"]["runs"]:
            st = b["steps_s"]
            cpu = b["cpu"]
            print(f"| {b['label']} | {b['total_s']} | {st.get('gen', '–')} | {st.get('server', '–')} | {st.get('admin_bundle', '–')} | "
                  f"{st.get('public_bundle', '–')} | {b['crates_compiled']} | {fmt(cpu['user_s'] + cpu['sys_s'], 0) if cpu else '–'} | "
                  f"{b['load_before'][0] if b['load_before'] else '–'} | {fmt(b.get('others_cpu_cores'), 2)} |")
        print()


if __name__ == "__main__":
    cmd, *rest = sys.argv[1:]
    if cmd == "sizes":
        sizes(rest[0], rest[1:])
    elif cmd == "buildlog":
        buildlog(rest[0], rest[1:])
    elif cmd == "merge":
        merge(*rest)
    elif cmd == "table":
        table(rest[0])
    else:
        sys.exit(__doc__)
