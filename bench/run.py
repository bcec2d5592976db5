#!/usr/bin/env python3
"""Side-by-side benchmarks: Berth against the CNCF registry (docker-registry 2.8.2) on loopback.

Every measurement alternates between the two servers for several rounds and reports median, spread and the
Berth / CNCF ratio. Images are generated here from a fixed seed (no network). See bench/README.md.
"""
import argparse
import datetime
import glob
import gzip
import hashlib
import io
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MiB = 1024 * 1024


# ---------------------------------------------------------------- image generation (reproducible, no network)

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(4 * MiB), b""):
            h.update(chunk)
    return h.hexdigest()


class Layout:
    """Writes an OCI image layout: blobs/sha256/*, index.json, oci-layout."""

    def __init__(self, path):
        self.path = path
        os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)
        with open(os.path.join(path, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)

    def add_file(self, src):
        digest = sha256_file(src)
        dst = os.path.join(self.path, "blobs", "sha256", digest)
        if not os.path.exists(dst):
            shutil.move(src, dst)
        else:
            os.remove(src)
        return "sha256:" + digest, os.path.getsize(dst)

    def add_bytes(self, data):
        digest = hashlib.sha256(data).hexdigest()
        with open(os.path.join(self.path, "blobs", "sha256", digest), "wb") as f:
            f.write(data)
        return "sha256:" + digest, len(data)

    def blob_path(self, digest):
        return os.path.join(self.path, "blobs", "sha256", digest.split(":")[1])

    def finish(self, layers, diff_ids, tag):
        config = json.dumps({
            "architecture": "amd64", "os": "linux",
            "config": {"Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }).encode()
        cdigest, csize = self.add_bytes(config)
        manifest = json.dumps({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cdigest, "size": csize},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": s}
                       for d, s in layers],
        }).encode()
        mdigest, msize = self.add_bytes(manifest)
        with open(os.path.join(self.path, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": mdigest, "size": msize,
                "annotations": {"org.opencontainers.image.ref.name": tag}}]}, f)
        return mdigest


class HashingWriter(io.RawIOBase):
    """A file writer that also hashes what passes through (for diff_ids)."""

    def __init__(self, f):
        self.f, self.h = f, hashlib.sha256()

    def writable(self):
        return True

    def write(self, b):
        self.h.update(b)
        return self.f.write(b)


def write_layer(layout, work, fill):
    """Builds one gzip layer with fill(tarfile); returns ((digest, size), diff_id)."""
    tmp = os.path.join(work, "layer.tmp")
    with open(tmp, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as gz:
            hw = HashingWriter(gz)
            with tarfile.open(fileobj=hw, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                fill(tar)
    diff_id = "sha256:" + hw.h.hexdigest()
    return layout.add_file(tmp), diff_id


def big_image(path, work, layers=5, size=100 * MiB, seed=42):
    """5 x 100 MiB of incompressible bytes, one file per layer."""
    if os.path.exists(os.path.join(path, "index.json")):
        return
    layout = Layout(path)
    rng = random.Random(seed)
    descs, diff_ids = [], []
    for i in range(layers):
        def fill(tar, i=i):
            info = tarfile.TarInfo(f"data/layer{i}.bin")
            info.size, info.mtime, info.mode = size, 0, 0o644
            tar.addfile(info, _RandomReader(rng, size))
        d, diff = write_layer(layout, work, fill)
        descs.append(d)
        diff_ids.append(diff)
    layout.finish(descs, diff_ids, "bench")


def small_files_image(path, work, files=20000, seed=7):
    """One layer of 20,000 small files in 200 directories."""
    if os.path.exists(os.path.join(path, "index.json")):
        return
    layout = Layout(path)
    rng = random.Random(seed)

    def fill(tar):
        for d in range(files // 100):
            info = tarfile.TarInfo(f"usr/share/d{d:03d}")
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
            tar.addfile(info)
            for n in range(100):
                data = rng.randbytes(rng.randint(200, 4000))
                info = tarfile.TarInfo(f"usr/share/d{d:03d}/f{n:03d}.txt")
                info.size, info.mode, info.mtime = len(data), 0o644, 0
                tar.addfile(info, io.BytesIO(data))

    d, diff = write_layer(layout, work, fill)
    layout.finish([d], [diff], "bench")


class _RandomReader(io.RawIOBase):
    def __init__(self, rng, size):
        self.rng, self.left = rng, size

    def readable(self):
        return True

    def read(self, n=-1):
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return self.rng.randbytes(n)


# ---------------------------------------------------------------- servers

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=2) as r:
                if r.status == 200:
                    return
        except Exception:
            time.sleep(0.3)
    raise RuntimeError(f"server on {port} did not become ready")


class Server:
    def __init__(self, name, port, proc, storage):
        self.name, self.port, self.proc, self.storage = name, port, proc, storage

    @property
    def host(self):
        return f"127.0.0.1:{self.port}"

    def peak_rss_mib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_berth(work, jar, storage=None, extra=(), storage_args=None, timeout=60):
    """Berth through its launcher on a free port: on filesystem storage (default work/berth-data), or on the
    storage that `storage_args` (--berth.storage...) name; `extra` are more command-line properties."""
    port = free_port()
    storage = storage or os.path.join(work, "berth-data")
    log = open(os.path.join(work, "berth.log"), "w")
    launcher = os.path.join(ROOT, "registry-server", "bin", "berth-registry")
    args = storage_args or [f"--berth.storage.filesystem.root={storage}"]
    proc = subprocess.Popen([launcher, f"--server.port={port}", *args, *extra], stdout=log, stderr=log,
                            env=dict(os.environ, BERTH_REGISTRY_JAR=jar))
    wait_ready(port, timeout)
    return Server("berth", port, proc, None if storage_args else storage)


def cncf_config(work, storage, port, storage_yaml=None):
    """Writes the CNCF registry's configuration (filesystem storage at `storage`, or the `storage:` entries of
    `storage_yaml`; deletes on) and returns its path."""
    cfg = os.path.join(work, "cncf.yml")
    backend = storage_yaml or f"""  filesystem:
    rootdirectory: {storage}
"""
    with open(cfg, "w") as f:
        f.write(f"""version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  cache:
    blobdescriptor: inmemory
{backend}  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
""")
    return cfg


def start_cncf(work, storage=None, storage_yaml=None):
    """The CNCF registry on a free port; filesystem storage defaults to work/cncf-data."""
    port = free_port()
    storage = storage or os.path.join(work, "cncf-data")
    cfg = cncf_config(work, storage, port, storage_yaml)
    log = open(os.path.join(work, "cncf.log"), "w")
    proc = subprocess.Popen(["docker-registry", "serve", cfg], stdout=log, stderr=log)
    wait_ready(port)
    return Server("cncf", port, proc, None if storage_yaml else storage)


def berth_command(work, port, launcher=None):
    """The launcher's command line for a Berth on port with storage under work; returns (cmd, storage)."""
    storage = os.path.join(work, "berth-data")
    launcher = launcher or [os.path.join(ROOT, "registry-server", "bin", "berth-registry")]
    return [*launcher, f"--server.port={port}", f"--berth.storage.filesystem.root={storage}"], storage


def cncf_command(work, port):
    """docker-registry's command line (and its config file) for port and storage under work."""
    storage = os.path.join(work, "cncf-data")
    return ["docker-registry", "serve", cncf_config(work, storage, port)], storage


# ---------------------------------------------------------------- measurements

def run(cmd, **kw):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)


def push(srv, layout, repo):
    """skopeo copy of an OCI layout's "bench" tag to srv/repo:bench."""
    # skopeo remembers where it saw each blob and would cross-mount instead of uploading: forget it, so
    # every push moves every byte to both servers alike.
    for cache in glob.glob("/var/lib/containers/cache/blob-info-cache-v1.*"):
        os.remove(cache)
    run(["skopeo", "copy", "--dest-tls-verify=false", f"oci:{layout}:bench", f"docker://{srv.host}/{repo}:bench"])


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def image_bytes(layout):
    return sum(os.path.getsize(p) for p in glob.glob(os.path.join(layout, "blobs", "sha256", "*")))


class Bench:
    def __init__(self, args, work, servers):
        self.args, self.work, self.servers = args, work, servers
        self.big = os.path.join(work, "img-big")
        self.small = os.path.join(work, "img-small")
        self.big_bytes = image_bytes(self.big)
        self.counter = 0
        self.results = {}  # row -> server -> [values]

    def record(self, row, server, value):
        self.results.setdefault(row, {}).setdefault(server, []).append(value)

    def wants(self, group):
        return not self.args.only or group in self.args.only

    def fresh(self, prefix):
        self.counter += 1
        return f"{prefix}{self.counter}"

    def push(self, srv, layout, repo):
        push(srv, layout, repo)

    def pull(self, srv, repo, dest):
        run(["skopeo", "copy", "--src-tls-verify=false", f"docker://{srv.host}/{repo}:bench", f"oci:{dest}:bench"])

    def round(self, srv):
        mib = self.big_bytes / MiB
        repo = self.fresh("push/r")
        self.record("push (MiB/s)", srv.name, mib / timed(lambda: self.push(srv, self.big, repo)))
        if self.wants("pull"):
            dest = os.path.join(self.work, self.fresh("pull"))
            self.record("pull (MiB/s)", srv.name, mib / timed(lambda: self.pull(srv, repo, dest)))
            shutil.rmtree(dest, ignore_errors=True)

        if self.wants("pulls8"):
            dests = [os.path.join(self.work, self.fresh("cpull")) for _ in range(8)]

            def eight():
                threads = [threading.Thread(target=self.pull, args=(srv, repo, d)) for d in dests]
                [t.start() for t in threads]
                [t.join() for t in threads]
            self.record("8 concurrent pulls (MiB/s)", srv.name, 8 * mib / timed(eight))
            for d in dests:
                shutil.rmtree(d, ignore_errors=True)

        layer = self.first_layer()
        url = f"http://{srv.host}/v2/{repo}/blobs/{layer}"
        if self.wants("get"):
            out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{speed_download}", url],
                                 check=True, capture_output=True, text=True).stdout
            self.record("single-stream GET (MiB/s)", srv.name, float(out) / MiB)

        if self.wants("manifest"):
            murl = f"http://{srv.host}/v2/{repo}/manifests/bench"
            rps, p99 = self.wrk(murl)
            self.record("manifest GET (req/s)", srv.name, rps)
            self.record("manifest GET p99 (ms)", srv.name, p99)
        if self.wants("head"):
            rps, p99 = self.hey_head(url)
            self.record("blob HEAD (req/s)", srv.name, rps)
            self.record("blob HEAD p99 (ms)", srv.name, p99)
        self.record("peak RSS (MiB)", srv.name, srv.peak_rss_mib())

    def first_layer(self):
        with open(os.path.join(self.big, "index.json")) as f:
            mdigest = json.load(f)["manifests"][0]["digest"]
        with open(os.path.join(self.big, "blobs", "sha256", mdigest.split(":")[1])) as f:
            return json.load(f)["layers"][0]["digest"]

    def wrk(self, url):
        accept = "Accept: application/vnd.oci.image.manifest.v1+json"
        out = subprocess.run(["wrk", "-t2", "-c50", f"-d{self.args.duration}s", "--latency", "-H", accept, url],
                             check=True, capture_output=True, text=True).stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        p99 = _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1))
        return rps, p99

    def hey_head(self, url):
        out = subprocess.run(["hey", "-m", "HEAD", "-c", "50", "-z", f"{self.args.duration}s", url],
                             check=True, capture_output=True, text=True).stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        p99 = re.search(r"99%% in ([\d.]+) secs".replace("%%", "%"), out)  # absent when no request finished
        return rps, float(p99.group(1)) * 1000 if p99 else float("nan")

    # -- puller rows: pull + unpack into fresh directories (the disk is slow right after mass deletes)
    def puller_round(self, srv, layout, label, puller_jar):
        repo = self.fresh("pl/r")
        self.push(srv, layout, repo)
        ref = f"{srv.host}/{repo}:bench"
        if puller_jar:
            root = os.path.join(self.work, self.fresh("berth-root"))
            # The launcher (class-data sharing, serial GC) is how berth-pull is meant to be run.
            launcher = os.path.join(ROOT, "client-puller", "bin", "berth-pull")
            cmd = [launcher] if os.access(launcher, os.X_OK) else ["java", "-jar", puller_jar]
            t = timed(lambda: run([*cmd, "pull", "--plain-http", "--root", root, ref],
                                  env={**os.environ, "BERTH_PULL_JAR": puller_jar}))
            self.record(f"{label}: berth-pull pull+unpack (s)", "berth", t)
        oci = os.path.join(self.work, self.fresh("oci"))
        bundle = os.path.join(self.work, self.fresh("bundle"))

        def skopeo_umoci():
            run(["skopeo", "copy", "--src-tls-verify=false", f"docker://{ref}", f"oci:{oci}:bench"])
            run(["umoci", "unpack", "--image", f"{oci}:bench", bundle])
        self.record(f"{label}: skopeo copy + umoci unpack (s)", "berth", timed(skopeo_umoci))
        dest = os.path.join(self.work, self.fresh("tar"))
        os.makedirs(dest)

        def untar():
            with open(os.path.join(layout, "index.json")) as f:
                m = json.load(f)["manifests"][0]["digest"]
            with open(os.path.join(layout, "blobs", "sha256", m.split(":")[1])) as f:
                layers = json.load(f)["layers"]
            for layer in layers:
                run(["tar", "-xzf", os.path.join(layout, "blobs", "sha256", layer["digest"].split(":")[1]),
                     "-C", dest])
        self.record(f"{label}: tar -xzf of the blobs (s)", "berth", timed(untar))


def _ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v if unit == "ms" else v * 1000


def summarize(results):
    lines = ["| measurement | Berth median (min–max) | CNCF median (min–max) | Berth / CNCF |", "|---|---|---|---|"]
    for row, by in results.items():
        def cell(name):
            vals = by.get(name)
            if not vals:
                return "—", None
            med = statistics.median(vals)
            return f"{med:,.1f} ({min(vals):,.1f}–{max(vals):,.1f})", med
        b, bm = cell("berth")
        c, cm = cell("cncf")
        ratio = f"{bm / cm:.2f}×" if bm is not None and cm else "—"
        lines.append(f"| {row} | {b} | {c} | {ratio} |")
    return "\n".join(lines)


GROUPS = ["push", "pull", "pulls8", "get", "manifest", "head", "puller"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk/hey run")
    ap.add_argument("--quick", action="store_true", help="one round, short load runs, small images")
    ap.add_argument("--only", nargs="+", choices=GROUPS,
                    help="measure only these rows (push always runs: the others read what it pushed)")
    ap.add_argument("--work", default=os.path.join(ROOT, "bench", "work"))
    ap.add_argument("--jar", help="the registry jar to run (default: registry-server/target/berth-registry-*.jar)")
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.duration = 1, 3
    jar = [args.jar] if args.jar else sorted(glob.glob(os.path.join(ROOT, "registry-server", "target", "berth-registry-*.jar")))
    if not jar:
        sys.exit("build first: mvn -B -q -DskipTests package")
    pullers = sorted(glob.glob(os.path.join(ROOT, "client-puller", "target", "berth-pull-*.jar")))
    os.makedirs(args.work, exist_ok=True)
    images = os.path.join(args.work, "images")
    os.makedirs(images, exist_ok=True)
    layer_size = 10 * MiB if args.quick else 100 * MiB
    big_image(os.path.join(images, f"big-{layer_size}"), images, size=layer_size)
    small_files_image(os.path.join(images, "small"), images, files=2000 if args.quick else 20000)

    load_before = os.getloadavg()
    run_dir = tempfile.mkdtemp(prefix="run-", dir=args.work)
    os.symlink(os.path.join(images, f"big-{layer_size}"), os.path.join(run_dir, "img-big"))
    os.symlink(os.path.join(images, "small"), os.path.join(run_dir, "img-small"))
    servers = [start_berth(run_dir, jar[-1]), start_cncf(run_dir)]
    try:
        bench = Bench(args, run_dir, servers)
        for r in range(args.rounds):
            order = servers if r % 2 == 0 else list(reversed(servers))
            for srv in order:
                print(f"round {r + 1}/{args.rounds}: {srv.name}", file=sys.stderr)
                bench.round(srv)
            if bench.wants("puller"):
                bench.puller_round(servers[0], bench.big, "5 × 100 MiB image", pullers[-1] if pullers else None)
                bench.puller_round(servers[0], bench.small, "20,000-file layer", pullers[-1] if pullers else None)
        table = summarize(bench.results)
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(run_dir, ignore_errors=True)
    header = (f"Run {datetime.datetime.now():%Y-%m-%d %H:%M}, {platform.node()}: {os.cpu_count()} cores, "
              f"{platform.platform()}; {args.rounds} rounds, alternating Berth and CNCF registry 2.8.2; load average "
              f"{load_before[0]:.2f} at the start, {os.getloadavg()[0]:.2f} at the end.")
    report = header + "\n\n" + table + "\n"
    print(report)
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", f"{datetime.date.today()}.md"), "w") as f:
        f.write(report)


if __name__ == "__main__":
    main()
