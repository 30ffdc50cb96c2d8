#!/usr/bin/env python3
"""bench/bundles/run.sh's report (standard library only).

  ratios.py SIZES.json OUT.json [--commit C] [--dirty N] [--wasm-opt V] [--rustc V]

SIZES.json is what `bench/scoreboard/report.py sizes` wrote. Adds each bundle's raw total
(wasm + JS), the Rally / Leptos ratios of the counters (raw and gzip; below 1 means Rally's is
smaller), prints a Markdown table and writes OUT.json.
"""
import argparse
import datetime
import json
import os
import platform

p = argparse.ArgumentParser()
p.add_argument("sizes")
p.add_argument("out")
p.add_argument("--commit", default="")
p.add_argument("--dirty", type=int, default=0)
p.add_argument("--wasm-opt", default="")
p.add_argument("--rustc", default="")
a = p.parse_args()

rows = json.load(open(a.sizes))["bundles"]
for r in rows:
    r.pop("ratio_to_starter", None)
    r.pop("over_starter_kib", None)
    r["total_bytes"] = r["wasm_bytes"] + r["js_bytes"]
by_app = {r["app"]: r for r in rows if r["mount"] in ("rally", "leptos")}
rally = by_app["counter"]
ratios = []
for peer in ("leptos-counter-csr", "leptos-counter-hydrate"):
    lep = by_app[peer]
    ratios.append({
        "rally": "counter", "leptos": peer,
        "raw": round(rally["total_bytes"] / lep["total_bytes"], 3),
        "gzip": round(rally["total_gzip"] / lep["total_gzip"], 3),
        "served_gzip": round(rally["served_gzip"] / lep["served_gzip"], 3) if "served_gzip" in lep else None,
        "served_brotli": round(rally["served_brotli"] / lep["served_brotli"], 3) if "served_brotli" in lep else None,
    })

result = {
    "meta": {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": a.commit,
        "uncommitted_files": a.dirty,
        "machine": f"{os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "rustc": a.rustc,
        "wasm_opt": a.wasm_opt,
        "pipeline": "rally-build, cargo profile wasm-release, wasm-opt -Oz before wasm-bindgen 0.2.130 --target web",
        "note": "counter: examples/counter (hydrates, model from the page's payload); leptos-counter-csr: "
                "bench/leptos-counter --features csr (mount_to_body, starts at 0); leptos-counter-hydrate: "
                "--features hydrate (hydrate_body, initial model from the server via SharedValue); starter and "
                "scoreboard: the mounts as `cargo rally build --release` builds them",
    },
    "bundles": rows,
    "ratios_rally_to_leptos": ratios,
}
os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
with open(a.out, "w") as f:
    json.dump(result, f, indent=2)
    f.write("\n")

print(f"\ncommit {a.commit}, {result['meta']['date']}, {a.wasm_opt}\n")
def kib(r, key):
    return r.get(key + "_kib", "–")


print("| bundle | mount | wasm B | wasm gz | JS B | JS gz | total B | total gz | total gz KiB "
      "| served gzip (zopfli) KiB | served brotli KiB |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    print(f"| {r['app']} | {r['mount']} | {r['wasm_bytes']:,} | {r['wasm_gzip']:,} | {r['js_bytes']:,} | "
          f"{r['js_gzip']:,} | {r['total_bytes']:,} | {r['total_gzip']:,} | {r['total_gzip_kib']} "
          f"| {kib(r, 'served_gzip')} | {kib(r, 'served_brotli')} |")
def ratio(x):
    return "–" if x is None else f"{x:.2f}"


print("\n| Rally / Leptos | raw | gzip -9 | served gzip | served brotli |\n|---|---:|---:|---:|---:|")
for x in ratios:
    print(f"| counter / {x['leptos']} | {ratio(x['raw'])} | {ratio(x['gzip'])} | {ratio(x['served_gzip'])} "
          f"| {ratio(x['served_brotli'])} |")
print(f"\nwrote {a.out}")
