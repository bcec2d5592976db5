#!/usr/bin/env python3
"""Pull-through cache, paired: a cold pull through Berth's proxy against a pull straight from the upstream
(the CNCF registry), same image, same loopback; and a warm pull through the proxy against a pull of a local
Berth repository. Contenders alternate round by round. See bench/README.md.
"""
import argparse
import datetime
import glob
import os
import platform
import shutil
import subprocess
import sys
import tempfile

import run as bench  # bench/run.py: image generation, servers, timing, tables

MiB = bench.MiB


def start_proxy(work, jar, upstream, label):
    """A Berth with fresh storage mirroring `upstream` under the prefix `up`."""
    port = bench.free_port()
    storage = os.path.join(work, f"{label}-data")
    log = open(os.path.join(os.path.dirname(work), f"{label}.log"), "w")  # kept after the run
    launcher = os.path.join(bench.ROOT, "registry-server", "bin", "berth-registry")
    proc = subprocess.Popen([launcher, f"--server.port={port}", f"--berth.storage.filesystem.root={storage}",
                             "--berth.proxy.enabled=true", "--berth.proxy.upstreams[0].name=upstream.bench",
                             "--berth.proxy.upstreams[0].prefix=up",
                             f"--berth.proxy.upstreams[0].url=http://{upstream.host}"],
                            stdout=log, stderr=log, env=dict(os.environ, BERTH_REGISTRY_JAR=jar))
    bench.wait_ready(port, timeout=180)  # a loaded machine starts JVMs slowly
    return bench.Server(label, port, proc, storage)


def pull(host, repo, dest):
    bench.run(["skopeo", "copy", "--src-tls-verify=false", f"docker://{host}/{repo}:bench", f"oci:{dest}:bench"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="one round, 10 MiB layers")
    ap.add_argument("--work", default=os.path.join(bench.ROOT, "bench", "work"))
    args = ap.parse_args()
    if args.quick:
        args.rounds = 1
    jar = sorted(glob.glob(os.path.join(bench.ROOT, "registry-server", "target", "berth-registry-*.jar")))
    if not jar:
        sys.exit("build first: mvn -B -q -DskipTests package")
    images = os.path.join(args.work, "images")
    os.makedirs(images, exist_ok=True)
    layer_size = 10 * MiB if args.quick else 100 * MiB
    image = os.path.join(images, f"big-{layer_size}")
    bench.big_image(image, images, size=layer_size)
    warmups = [os.path.join(images, f"warmup{i}") for i in range(3)]
    for i, w in enumerate(warmups):
        bench.big_image(w, images, layers=2, size=8 * MiB, seed=99 + i)
    mib = bench.image_bytes(image) / MiB

    work = tempfile.mkdtemp(prefix="proxy-", dir=args.work)
    upstream = bench.start_cncf(work)
    servers = [upstream]
    results = {}

    def record(row, who, value):
        results.setdefault(row, {}).setdefault(who, []).append(value)

    try:
        helper = bench.Bench.__new__(bench.Bench)  # only its push(), which clears skopeo's blob cache
        helper.push(upstream, image, "lib/app")
        for i, w in enumerate(warmups):
            helper.push(upstream, w, f"lib/warmup{i}")
        for r in range(args.rounds):
            # A fresh proxy each round, so its pull is cold: nothing of the image is cached yet.
            proxy = start_proxy(work, jar[-1], upstream, f"proxy{r}")
            servers.append(proxy)
            helper.push(proxy, image, f"local/app{r}")
            # Warm the new JVM's proxy path on other content, so the cold pull measures the cache, not the JIT.
            for i in range(len(warmups)):
                pull(proxy.host, f"up/lib/warmup{i}", os.path.join(work, f"warmup{i}-{r}"))
            cold = lambda: pull(proxy.host, "up/lib/app", os.path.join(work, f"cold{r}"))
            direct = lambda: pull(upstream.host, "lib/app", os.path.join(work, f"direct{r}"))
            for name, fn in ([("berth", cold), ("cncf", direct)] if r % 2 == 0 else [("cncf", direct), ("berth", cold)]):
                print(f"round {r + 1}/{args.rounds}: cold pull, {name}", file=sys.stderr)
                record("cold pull: through Berth vs straight from upstream (MiB/s)", name, mib / bench.timed(fn))
            warm = lambda: pull(proxy.host, "up/lib/app", os.path.join(work, f"warm{r}"))
            local = lambda: pull(proxy.host, f"local/app{r}", os.path.join(work, f"local{r}"))
            for name, fn in ([("berth", warm), ("cncf", local)] if r % 2 == 0 else [("cncf", local), ("berth", warm)]):
                record("warm pull through Berth vs local Berth repository (MiB/s)", name, mib / bench.timed(fn))
            proxy.stop()
            servers.remove(proxy)
            for d in glob.glob(os.path.join(work, f"*{r}")):
                shutil.rmtree(d, ignore_errors=True)
        table = bench.summarize(results).replace("CNCF median", "other median").replace("Berth / CNCF", "ratio")
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(work, ignore_errors=True)
    header = (f"Run {datetime.datetime.now():%Y-%m-%d %H:%M}, {platform.node()}: {os.cpu_count()} cores; "
              f"{args.rounds} rounds; image {mib:.0f} MiB in 5 layers. 'other' is the upstream (cold rows) or "
              f"a local Berth repository (warm rows).")
    print(header + "\n\n" + table)


if __name__ == "__main__":
    main()
