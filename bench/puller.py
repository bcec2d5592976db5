#!/usr/bin/env python3
"""Puller benchmarks: berth-pull against skopeo copy + umoci unpack, and LayerApplier against tar -xzf.

Both pull from one CNCF registry (docker-registry 2.8.2) on loopback, so the comparison is about the client
only. Every measurement alternates between the contenders, round after round, into fresh directories, and
reports medians, spread and ratios. Nothing is deleted, not even at the end: creating files is 10-20x slower
for minutes after a mass delete on this disk, which would spoil the next run (and other people's builds). Images are the ones bench/run.py generates (fixed seeds, no network).

  python3 bench/puller.py --rounds 5
  python3 bench/puller.py --puller base="java -jar /tmp/old.jar" --puller new=client-puller/target/berth-pull

Contenders, per image:
  berth-pull            `<puller> pull --plain-http --root DIR REF` (one per --puller; the default is the
                        launcher client-puller/bin/berth-pull, which runs client-puller/target/berth-pull-*.jar
                        with a class-data-sharing archive; its first pull writes the archive, so the
                        harness makes one untimed pull first)
  skopeo+umoci          `skopeo copy docker://REF oci:DIR:bench` then `umoci unpack --image DIR:bench BUNDLE`
                        (both verify digests; umoci also writes an mtree manifest of the rootfs)
  tar -xzf              GNU tar (gzip in a second process) of each layer blob from the local layout
  applier               bench/jmh's ApplyLayer: GZIPInputStream -> LayerApplier of the same blobs in one JVM,
                        time of the apply alone after a warm-up apply (JIT warm, as in a long-lived agent),
                        and the whole process's wall time beside it (one per --applier)
  applier cold          the same without the warm-up: the whole process's wall time, JVM start included, as a
                        one-shot unpack pays it (-XX:+UseSerialGC as the launcher; no class-data archive, so
                        this is the figure before the launcher's start-up work)

Every value of every round is printed with the 1-minute load average when it was taken, since the machine is
shared; the tables give medians, spread and ratios.
"""
import argparse
import glob
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as harness  # noqa: E402  (image generation and the CNCF registry)

ROOT = harness.ROOT
MiB = harness.MiB


def layer_blobs(layout):
    with open(os.path.join(layout, "index.json")) as f:
        m = json.load(f)["manifests"][0]["digest"]
    with open(os.path.join(layout, "blobs", "sha256", m.split(":")[1])) as f:
        layers = json.load(f)["layers"]
    return [os.path.join(layout, "blobs", "sha256", l["digest"].split(":")[1]) for l in layers]


def timed_run(cmd, **kw):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    elapsed = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return elapsed, p.stdout


class PullerBench:
    def __init__(self, args, work, registry):
        self.args, self.work, self.registry = args, work, registry
        self.counter = 0
        self.results = {}  # (image, contender) -> [seconds]
        self.log = []  # (round, image, contender, seconds, load average)
        self.current_round = 0

    def fresh(self, prefix):
        self.counter += 1
        return os.path.join(self.work, f"{prefix}{self.counter}")

    def record(self, image, contender, value):
        self.results.setdefault(image, {}).setdefault(contender, []).append(value)
        self.log.append((self.current_round, image, contender, value, os.getloadavg()[0]))

    def contenders(self, image, layout, repo):
        ref = f"{self.registry.host}/{repo}:bench"
        out = []
        for label, cmd in self.args.puller:
            def berth(cmd=cmd):
                return timed_run(shlex.split(cmd) + ["pull", "--plain-http", "--root", self.fresh("berth"), ref])[0]
            out.append((f"berth-pull [{label}]", berth))

        def skopeo_umoci():
            oci, bundle = self.fresh("oci"), self.fresh("umoci")
            t1, _ = timed_run(["skopeo", "copy", "--src-tls-verify=false", f"docker://{ref}", f"oci:{oci}:bench"])
            t2, _ = timed_run(["umoci", "unpack", "--image", f"{oci}:bench", bundle])
            self.record(image, "  skopeo copy alone", t1)
            self.record(image, "  umoci unpack alone", t2)
            return t1 + t2
        out.append(("skopeo+umoci", skopeo_umoci))

        blobs = layer_blobs(layout)

        def untar():
            dest = self.fresh("tar")
            os.makedirs(dest)
            t = 0.0
            for b in blobs:
                t += timed_run(["tar", "-xzf", b, "-C", dest])[0]
            return t
        out.append(("tar -xzf", untar))

        for label, jar in self.args.applier:
            def applier(jar=jar, label=label):
                dest = self.fresh("applier")
                wall, stdout = timed_run(["java", *self.args.applier_java_opts, "-cp", jar,
                                          "dev.berth.bench.ApplyLayer", "--warm", self.warm_blob, dest, *blobs])
                self.record(image, f"  applier [{label}] process wall (JVM start, warm-up, apply)", wall)
                return json.loads(stdout.strip().splitlines()[-1])["applySeconds"]
            out.append((f"applier [{label}] (in-process, warm)", applier))

            def cold(jar=jar):
                dest = self.fresh("cold")
                return timed_run(["java", "-XX:+UseSerialGC", *self.args.applier_java_opts, "-cp", jar,
                                  "dev.berth.bench.ApplyLayer", dest, *blobs])[0]
            out.append((f"applier [{label}] cold JVM, whole process", cold))
        return out

    def round(self, r, image, layout, repo):
        self.current_round = r + 1
        cs = [c for c in self.contenders(image, layout, repo) if re.search(self.args.only, c[0])]
        order = cs if r % 2 == 0 else list(reversed(cs))
        for name, fn in order:
            print(f"  round {r + 1}: {image}: {name}", file=sys.stderr, flush=True)
            self.record(image, name, fn())


def summarize(results, reference="skopeo+umoci"):
    lines = []
    for image, by in results.items():
        lines.append(f"\n### {image}\n")
        lines.append("| contender | median s (min–max) | vs skopeo+umoci | vs tar -xzf |")
        lines.append("|---|---|---|---|")
        ref = statistics.median(by[reference]) if reference in by else None
        tar = statistics.median(by["tar -xzf"]) if "tar -xzf" in by else None
        for name, vals in by.items():
            med = statistics.median(vals)
            r1 = f"{ref / med:.2f}× faster" if ref and not name.startswith("  ") else ""
            r2 = f"{med / tar:.2f}× tar's time" if tar and not name.startswith("  ") else ""
            lines.append(f"| {name} | {med:.2f} ({min(vals):.2f}–{max(vals):.2f}) | {r1} | {r2} |")
    return "\n".join(lines)


def rounds_table(log):
    """Every value, round by round, with the load average when it was taken."""
    lines = ["\n### every round (seconds, 1-minute load average)\n", "| image | contender | "
             + " | ".join(f"round {r}" for r in sorted({e[0] for e in log})) + " |"]
    lines.append("|---|---|" + "---|" * len({e[0] for e in log}))
    rows = {}
    for r, image, name, value, load in log:
        rows.setdefault((image, name), {})[r] = f"{value:.2f} (load {load:.1f})"
    rounds = sorted({e[0] for e in log})
    for (image, name), by in rows.items():
        lines.append(f"| {image} | {name.strip()} | " + " | ".join(by.get(r, "") for r in rounds) + " |")
    # The goals hold per round: each round's ratios, against skopeo+umoci for pulls and against tar for applies.
    value = {(r, image, name): v for r, image, name, v, _ in log}
    for (image, name) in rows:
        if name.startswith("berth-pull"):
            ref, fmt = "skopeo+umoci", lambda v, w: f"{w / v:.2f}× faster"
        elif name.startswith("applier"):
            ref, fmt = "tar -xzf", lambda v, w: f"{v / w:.2f}× tar's time"
        else:
            continue
        cells = [fmt(value[(r, image, name)], value[(r, image, ref)])
                 if (r, image, name) in value and (r, image, ref) in value else "" for r in rounds]
        lines.append(f"| {image} | {name} vs {ref} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def default_puller():
    jars = sorted(glob.glob(os.path.join(ROOT, "client-puller", "target", "berth-pull-*.jar")))
    if not jars:
        sys.exit("build first: mvn -q -B -o -pl oci-spec,union-fs,client-puller -am package -DskipTests")
    return os.path.join(ROOT, "client-puller", "bin", "berth-pull")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--work", default=os.path.join(ROOT, "bench", "work"))
    ap.add_argument("--images", default="big,small", help="comma-separated: big (5 x 100 MiB), small (20k files)")
    ap.add_argument("--puller", action="append", default=[], metavar="LABEL=COMMAND",
                    help="a berth-pull command line to measure; repeat to compare builds in one run")
    ap.add_argument("--applier", action="append", default=[], metavar="LABEL=JAR",
                    help="a bench/jmh benchmarks.jar to measure the applier with; repeat to compare builds "
                         "(default: bench/jmh/target/benchmarks.jar)")
    ap.add_argument("--applier-java-opts", default="", help="extra JVM options for the applier process")
    ap.add_argument("--images-dir", help="where the generated images live (default: WORK/images)")
    ap.add_argument("--only", default="", help="regular expression: measure only the contenders it finds")
    ap.add_argument("--clean", action="store_true",
                    help="delete the unpacked trees at the end (slows file creation on this disk for minutes: "
                         "by default they are left for `rm -rf` when nothing is being measured)")
    args = ap.parse_args()
    args.puller = [tuple(p.split("=", 1)) if "=" in p else (p, p) for p in args.puller] or \
        [("current", default_puller())]
    args.applier = [tuple(p.split("=", 1)) if "=" in p else (p, p) for p in args.applier]
    if not args.applier:
        jar = os.path.join(ROOT, "bench", "jmh", "target", "benchmarks.jar")
        if os.path.exists(jar):
            args.applier = [("current", jar)]
        else:
            print(f"no {jar}: skipping the in-process applier (mvn -q -B -o -f bench/jmh/pom.xml package)",
                  file=sys.stderr)
    args.applier_java_opts = shlex.split(args.applier_java_opts)

    images_dir = args.images_dir or os.path.join(args.work, "images")
    os.makedirs(images_dir, exist_ok=True)
    layouts = {}
    wanted = args.images.split(",")
    if "big" in wanted:
        layouts["5 × 100 MiB incompressible"] = os.path.join(images_dir, f"big-{100 * MiB}")
        harness.big_image(layouts["5 × 100 MiB incompressible"], images_dir, size=100 * MiB)
    if "small" in wanted:
        layouts["one layer, 20,000 files"] = os.path.join(images_dir, "small")
        harness.small_files_image(layouts["one layer, 20,000 files"], images_dir, files=20000)
    # A small, different layer for the applier's warm-up.
    warm = os.path.join(images_dir, "warm")
    harness.small_files_image(warm, images_dir, files=2000, seed=11)

    run_dir = os.path.join(args.work, f"puller-{time.strftime('%Y%m%d-%H%M%S')}")
    os.makedirs(run_dir)
    registry = harness.start_cncf(run_dir)
    try:
        bench = PullerBench(args, run_dir, registry)
        bench.warm_blob = layer_blobs(warm)[0]
        repos = {}
        for i, (image, layout) in enumerate(layouts.items()):
            repos[image] = f"pl/img{i}"
            harness.run(["skopeo", "copy", "--dest-tls-verify=false", f"oci:{layout}:bench",
                         f"docker://{registry.host}/{repos[image]}:bench"])
        first = next(iter(repos.values()))
        for label, cmd in args.puller:
            # Untimed: a launcher's first pull writes its class-data archive; all start with a warm page cache.
            harness.run(shlex.split(cmd) + ["pull", "--plain-http", "--root", bench.fresh("untimed"),
                                            f"{registry.host}/{first}:bench"])
        for r in range(args.rounds):
            for image, layout in layouts.items():
                bench.round(r, image, layout, repos[image])
        table = summarize(bench.results) + "\n" + rounds_table(bench.log)
    finally:
        registry.stop()
        if args.clean:
            shutil.rmtree(run_dir, ignore_errors=True)
        else:
            print(f"left {run_dir}: delete it when nothing is being measured", file=sys.stderr)
    header = (f"Puller run {time.strftime('%Y-%m-%d %H:%M')}: {os.cpu_count()} cores, load "
              f"{os.getloadavg()[0]:.1f}; {args.rounds} rounds, contenders alternating; CNCF registry 2.8.2 on "
              f"loopback.\nberth-pull: " + "; ".join(f"{l} = `{c}`" for l, c in args.puller)
              + "".join(f"; applier {l} = `{j}`" for l, j in args.applier))
    print(header + "\n" + table)


if __name__ == "__main__":
    main()
