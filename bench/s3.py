#!/usr/bin/env python3
"""S3, side by side: Berth and the CNCF registry 2.8.2 on the same S3 server (S3Proxy 4.1.0 on loopback), each
reaching it through its own latency-injecting proxy (bench/tcp_delay.py, 5 ms each way by default) that
counts the S3 requests. Alternating rounds of push (skopeo), pull (skopeo, redirects off), manifest GET by tag
(wrk) and blob HEAD (hey); medians, spread, Berth / CNCF ratios, and S3 requests per push and per pull.
See bench/README.md.
"""
import argparse
import datetime
import glob
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import run as bench  # bench/run.py: image generation, servers, timing, tables

MiB = bench.MiB
ACCESS_KEY = "berth-test-access"  # S3ProxyServer's fixed credentials
SECRET_KEY = "berth-test-secret-0123456789"
BUCKET = "berth"


def s3proxy_classpath(work):
    """S3ProxyServer (storage-drivers' test-jar classes) and its test classpath, S3Proxy 4.1.0 from Maven Central."""
    out = os.path.join(work, "s3proxy.classpath")
    subprocess.run(["mvn", "-B", "-q", "-o", "-f", os.path.join(bench.ROOT, "storage-drivers", "pom.xml"),
                    "dependency:build-classpath", "-Dmdep.includeScope=test", f"-Dmdep.outputFile={out}"],
                   check=True, stdout=subprocess.DEVNULL)
    # Copies of the build's classes, so that a build running meanwhile cannot pull them from under S3Proxy.
    target = os.path.join(bench.ROOT, "storage-drivers", "target")
    for classes in ("test-classes", "classes"):
        shutil.copytree(os.path.join(target, classes), os.path.join(work, classes))
    with open(out) as f:
        return ":".join([os.path.join(work, "test-classes"), os.path.join(work, "classes"), f.read().strip()])


def start_s3proxy(work, classpath):
    port = bench.free_port()
    log = open(os.path.join(work, "s3proxy.log"), "w")
    proc = subprocess.Popen(["java", "-Xmx1g", "-cp", classpath, "dev.berth.storage.s3.S3ProxyServer", str(port),
                             os.path.join(work, "s3-data")], stdout=log, stderr=log)
    wait_port(port, proc)
    return proc, port


def wait_port(port, proc, timeout=120):
    """Waits until something accepts connections on `port` (S3Proxy and the latency proxy do not speak /v2/)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process on port {port} exited")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"nothing listens on {port}")


class LatencyProxy:
    def __init__(self, work, name, upstream_port, delay_ms):
        self.port, self.control = bench.free_port(), bench.free_port()
        log = open(os.path.join(work, f"proxy-{name}.log"), "w")
        self.proc = subprocess.Popen([sys.executable, os.path.join(bench.ROOT, "bench", "tcp_delay.py"),
                                      "--listen", str(self.port), "--upstream", f"127.0.0.1:{upstream_port}",
                                      "--control", str(self.control), "--delay-ms", str(delay_ms)],
                                     stdout=log, stderr=log)
        wait_port(self.control, self.proc)

    def requests(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.control}/", timeout=10) as r:
            counts = json.load(r)
        return sum(v for k, v in counts.items() if k != "connections"), counts

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def start_berth_s3(work, jar, proxy):
    return bench.start_berth(work, jar, storage_args=[
        "--berth.storage.driver=s3", f"--berth.storage.s3.bucket={BUCKET}", "--berth.storage.s3.root-prefix=berth",
        f"--berth.storage.s3.endpoint=http://127.0.0.1:{proxy.port}", "--berth.storage.s3.path-style-access=true",
        f"--berth.storage.s3.access-key={ACCESS_KEY}", f"--berth.storage.s3.secret-key={SECRET_KEY}"], timeout=300)


def start_cncf_s3(work, proxy):
    # Redirects off, so that pulls read through the registry as Berth's do.
    return bench.start_cncf(work, storage_yaml=f"""  s3:
    accesskey: {ACCESS_KEY}
    secretkey: {SECRET_KEY}
    region: us-east-1
    regionendpoint: http://127.0.0.1:{proxy.port}
    bucket: {BUCKET}
    rootdirectory: /cncf
    secure: false
    v4auth: true
  redirect:
    disable: true
""")


class S3Bench(bench.Bench):
    def __init__(self, args, work, servers, proxies):
        super().__init__(args, work, servers)
        self.proxies = proxies

    def counted(self, srv, fn):
        """Runs fn; returns (seconds, S3 requests it caused)."""
        before, _ = self.proxies[srv.name].requests()
        seconds = bench.timed(fn)
        after, _ = self.proxies[srv.name].requests()
        return seconds, after - before

    def round(self, srv):
        mib = self.big_bytes / MiB
        repo = self.fresh("s3push/r")
        seconds, requests = self.counted(srv, lambda: self.push(srv, self.big, repo))
        self.record("push (MiB/s)", srv.name, mib / seconds)
        self.record("S3 requests per push", srv.name, requests)
        dest = os.path.join(self.work, self.fresh("pull"))
        seconds, requests = self.counted(srv, lambda: self.pull(srv, repo, dest))
        self.record("pull (MiB/s)", srv.name, mib / seconds)
        self.record("S3 requests per pull", srv.name, requests)
        shutil.rmtree(dest, ignore_errors=True)
        rps, p99 = self.wrk(f"http://{srv.host}/v2/{repo}/manifests/bench")
        self.record("manifest GET by tag (req/s)", srv.name, rps)
        self.record("manifest GET p99 (ms)", srv.name, p99)
        rps, p99 = self.hey_head(f"http://{srv.host}/v2/{repo}/blobs/{self.first_layer()}")
        self.record("blob HEAD (req/s)", srv.name, rps)
        self.record("blob HEAD p99 (ms)", srv.name, p99)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5, help="seconds per wrk/hey run")
    ap.add_argument("--layer-mib", type=int, default=20, help="size of each of the image's 5 layers")
    ap.add_argument("--delay-ms", type=float, default=5, help="latency added each way between registry and S3")
    ap.add_argument("--quick", action="store_true", help="one round, 2 s load runs, 4 MiB layers")
    ap.add_argument("--work", default=os.path.join(bench.ROOT, "bench", "work"))
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.duration, args.layer_mib = 1, 2, 4
    # The CNCF registry's AWS SDK for Go panics at start when AWS_CA_BUNDLE is set (it cannot add a CA bundle to
    # the registry's own HTTP transport); S3 is plain HTTP on loopback here, so no bundle is needed by anyone.
    os.environ.pop("AWS_CA_BUNDLE", None)
    jar = sorted(glob.glob(os.path.join(bench.ROOT, "registry-server", "target", "berth-registry-*.jar")))
    if not jar or not os.path.isdir(os.path.join(bench.ROOT, "storage-drivers", "target", "test-classes")):
        sys.exit("build first: mvn -B -q -DskipTests package")
    images = os.path.join(args.work, "images")
    os.makedirs(images, exist_ok=True)
    image = os.path.join(images, f"big-{args.layer_mib * MiB}")
    bench.big_image(image, images, size=args.layer_mib * MiB)
    warmup = os.path.join(images, "warmup")
    bench.big_image(warmup, images, layers=2, size=2 * MiB, seed=98)

    run_dir = tempfile.mkdtemp(prefix="s3-", dir=args.work)
    os.symlink(image, os.path.join(run_dir, "img-big"))
    os.symlink(os.path.join(images, "warmup"), os.path.join(run_dir, "img-small"))
    s3, s3_port = start_s3proxy(run_dir, s3proxy_classpath(run_dir))
    berth_jar = shutil.copy(jar[-1], run_dir)  # likewise
    proxies, servers, ok = {}, [], False
    try:
        proxies = {name: LatencyProxy(run_dir, name, s3_port, args.delay_ms) for name in ("berth", "cncf")}
        servers = [start_berth_s3(run_dir, berth_jar, proxies["berth"]), start_cncf_s3(run_dir, proxies["cncf"])]
        s3bench = S3Bench(args, run_dir, servers, proxies)
        for srv in servers:  # warm both up (JIT, connection pools) on a small image and short load runs
            repo = s3bench.fresh("warm/r")
            s3bench.push(srv, s3bench.small, repo)
            s3bench.pull(srv, repo, os.path.join(run_dir, s3bench.fresh("warm")))
            bench.run(["wrk", "-t2", "-c50", "-d3s", f"http://{srv.host}/v2/{repo}/manifests/bench"])
            bench.run(["hey", "-m", "HEAD", "-c", "50", "-z", "3s", f"http://{srv.host}/v2/{repo}/manifests/bench"])
        loads = []
        for r in range(args.rounds):
            order = servers if r % 2 == 0 else list(reversed(servers))
            for srv in order:
                print(f"round {r + 1}/{args.rounds}: {srv.name}", file=sys.stderr)
                loads.append(os.getloadavg()[0])
                s3bench.round(srv)
        table = bench.summarize(s3bench.results)
        ok = True
    finally:
        for s in servers:
            s.stop()
        for p in proxies.values():
            p.stop()
        s3.terminate()
        s3.wait(10)
        if ok:
            shutil.rmtree(run_dir, ignore_errors=True)
        else:
            print(f"failed: logs kept in {run_dir}", file=sys.stderr)
    header = (f"S3 run {datetime.datetime.now():%Y-%m-%d %H:%M}, {platform.node()}: {os.cpu_count()} cores; "
              f"{args.rounds} rounds alternating Berth and CNCF registry 2.8.2, both on S3Proxy 4.1.0 through "
              f"{args.delay_ms:g} ms each way; image 5 × {args.layer_mib} MiB; 1-min load average "
              f"{min(loads):.1f}–{max(loads):.1f} during the rounds.")
    report = header + "\n\n" + table + "\n"
    print(report)
    os.makedirs(os.path.join(bench.ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(bench.ROOT, "bench", "results", f"s3-{datetime.date.today()}.md"), "w") as f:
        f.write(report)


if __name__ == "__main__":
    main()
