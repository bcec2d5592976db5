#!/usr/bin/env python3
"""Start-up and idle memory: Berth's registry against the CNCF registry, and berth-pull's short commands.

Registry rows, per contender and round (contenders alternate, the order flips every round):
  launch to first 200   wall time from spawning the launcher to the first 200 on GET /v2/ (polled every 5 ms)
  idle RSS after start  VmRSS 3 s after that first 200
  idle RSS after warm-up VmRSS 3 s after a small warm-up: a push of a 1 MiB image (skopeo) and 2,000
                        manifest GETs (hey -c 8)
                        (each also as RssAnon: private memory, without mapped jars and archives)
berth-pull rows (against one CNCF registry holding a small image, already pulled once into the store):
  images                `berth-pull images --root R`
  pull, present         `berth-pull pull --plain-http --root R REF` of that image (manifest check only)

Contenders are commands, so builds and JVMs compare in one run:
  python3 bench/startup.py --rounds 5
  python3 bench/startup.py --berth before="env BERTH_REGISTRY_JAR=/tmp/old.jar /tmp/old/berth-registry" \\
      --berth after=registry-server/bin/berth-registry \\
      --berth after-jdk25="env JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java registry-server/bin/berth-registry"
  (--puller LABEL=COMMAND likewise). The load average is recorded beside every round.
"""
import argparse
import datetime
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as harness  # noqa: E402  (servers, images, summaries)

ROOT = harness.ROOT
MiB = harness.MiB


def rss_mib(pid, field="VmRSS"):
    """VmRSS: all resident pages, including mapped files (jars, a start-up archive) the kernel can drop and
    share; RssAnon: the process's private memory alone."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def load():
    return float(open("/proc/loadavg").read().split()[0])


def first_200(port, proc, timeout=300):
    """Seconds until GET /v2/ answers 200 (polled every 5 ms), measured from the caller's t0."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=5) as r:
                if r.status == 200:
                    return
        except Exception:
            time.sleep(0.005)
    raise RuntimeError(f"no 200 on port {port} within {timeout} s")


class StartupBench:
    def __init__(self, args, work, tiny):
        self.args, self.work, self.tiny = args, work, tiny
        self.counter = 0
        self.results = {}  # row -> contender -> [values]
        self.loads = []

    def record(self, row, who, value):
        self.results.setdefault(row, {}).setdefault(who, []).append(value)

    def fresh(self, prefix):
        self.counter += 1
        path = os.path.join(self.work, f"{prefix}{self.counter}")
        os.makedirs(path)
        return path

    def registry_round(self, label, command):
        """Launch, time the first 200, sample idle RSS, warm up, sample again, stop."""
        work = self.fresh(label + "-")
        port = harness.free_port()
        if command is None:
            cmd, storage = harness.cncf_command(work, port)
        else:
            cmd, storage = harness.berth_command(work, port, shlex.split(command))
        log = open(os.path.join(work, "server.log"), "w")
        self.loads.append(load())
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=log, cwd=work)
        try:
            first_200(port, proc)
            self.record("registry launch to first 200 (s)", label, time.perf_counter() - t0)
            time.sleep(3)  # idle: let the JIT and start-up threads settle before sampling
            self.record("registry idle RSS after start (MiB)", label, rss_mib(proc.pid))
            self.record("… of which private (RssAnon, MiB)", label, rss_mib(proc.pid, "RssAnon"))
            srv = harness.Server(label, port, proc, storage)
            harness.push(srv, self.tiny, "warm/up")
            harness.run(["hey", "-n", "2000", "-c", "8", "-H", "Accept: application/vnd.oci.image.manifest.v1+json",
                         f"http://{srv.host}/v2/warm/up/manifests/bench"])
            time.sleep(3)
            self.record("registry idle RSS after warm-up (MiB)", label, rss_mib(proc.pid))
            self.record("… of which private (RssAnon, MiB) ", label, rss_mib(proc.pid, "RssAnon"))
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()

    def puller_round(self, label, command, root, ref):
        base = shlex.split(command)
        t, _ = timed(base + ["images", "--root", root])
        self.record("berth-pull images (s)", label, t)
        t, _ = timed(base + ["pull", "--plain-http", "--root", root, ref])
        self.record("berth-pull pull, image present (s)", label, t)


def timed(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return elapsed, p.stdout


def contenders(values, default_label, default_cmd):
    out = []
    for v in values or [f"{default_label}={default_cmd}"]:
        label, _, cmd = v.partition("=")
        out.append((label, cmd))
    return out


def summarize(results, reference):
    """Median (min–max) per contender, and each contender's ratio to the reference (the CNCF registry)."""
    names = []
    for by in results.values():
        names += [n for n in by if n not in names]
    head = "| measurement | " + " | ".join(f"{n} median (min–max)" for n in names)
    others = [n for n in names if n != reference]
    head += " | " + " | ".join(f"{n} / {reference}" for n in others) + " |"
    lines = [head, "|" + "---|" * (1 + len(names) + len(others))]
    for row, by in results.items():
        cells, meds = [], {}
        for n in names:
            vals = by.get(n)
            if vals:
                meds[n] = statistics.median(vals)
                cells.append(f"{meds[n]:,.2f} ({min(vals):,.2f}–{max(vals):,.2f})")
            else:
                cells.append("—")
        ratios = [f"{meds[n] / meds[reference]:.2f}×" if n in meds and meds.get(reference) else "—" for n in others]
        lines.append(f"| {row} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--berth", action="append", metavar="LABEL=COMMAND",
                    help="a registry launcher to compare (repeatable); default: registry-server/bin/berth-registry")
    ap.add_argument("--puller", action="append", metavar="LABEL=COMMAND",
                    help="a berth-pull command to compare (repeatable); default: client-puller/bin/berth-pull")
    ap.add_argument("--skip-puller", action="store_true")
    ap.add_argument("--work", default=os.path.join(ROOT, "bench", "work"))
    args = ap.parse_args()
    registries = contenders(args.berth, "berth", os.path.join(ROOT, "registry-server", "bin", "berth-registry"))
    registries.append(("cncf", None))
    pullers = [] if args.skip_puller else contenders(
        args.puller, "berth-pull", os.path.join(ROOT, "client-puller", "bin", "berth-pull"))

    os.makedirs(args.work, exist_ok=True)
    images = os.path.join(args.work, "images")
    os.makedirs(images, exist_ok=True)
    tiny = os.path.join(images, "tiny")
    harness.big_image(tiny, images, layers=1, size=MiB)
    work = tempfile.mkdtemp(prefix="startup-", dir=args.work)
    bench = StartupBench(args, work, tiny)
    cncf = None
    try:
        if pullers:
            cncf = harness.start_cncf(bench.fresh("pull-registry-"))
            harness.push(cncf, tiny, "tiny/app")
            ref = f"{cncf.host}/tiny/app:bench"
            roots = {}
            for label, cmd in pullers:
                roots[label] = bench.fresh("root-")
                # Untimed: stores the image (and lets a launcher write its start-up archive).
                timed(shlex.split(cmd) + ["pull", "--plain-http", "--root", roots[label], ref])
        for r in range(args.rounds):
            order = registries if r % 2 == 0 else list(reversed(registries))
            for label, cmd in order:
                print(f"round {r + 1}/{args.rounds}: {label}", file=sys.stderr)
                bench.registry_round(label, cmd)
            for label, cmd in (pullers if r % 2 == 0 else list(reversed(pullers))):
                bench.puller_round(label, cmd, roots[label], ref)
    finally:
        if cncf:
            cncf.stop()
        shutil.rmtree(work, ignore_errors=True)
    loads = f"load average {statistics.median(bench.loads):.1f} (min {min(bench.loads):.1f}, max {max(bench.loads):.1f})"
    header = (f"Start-up run {datetime.datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores; {args.rounds} rounds, "
              f"alternating; {loads} at the launches.")
    report = header + "\n\n" + summarize(bench.results, "cncf") + "\n"
    print(report)
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", f"startup-{datetime.date.today()}.md"), "a") as f:
        f.write(report + "\n")


if __name__ == "__main__":
    main()
