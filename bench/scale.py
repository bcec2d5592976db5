#!/usr/bin/env python3
"""Scale, side by side: Berth against the CNCF registry (docker-registry 2.8.2) on one large tree.

Both registries get the same content, pushed over HTTP by a concurrent client (so each writes its own layout
faithfully): 10,000 repositories with 20 tags each, plus one repository with 5,000 tags. Blobs are tiny and
shared (one config, one layer, mounted into every repository); the 20 tags point at 20 small manifests that
differ by an annotation. The trees are built once and kept in --cache (delete it to rebuild).

Then, alternating Berth and CNCF round by round: paging through `/v2/_catalog?n=100` to the end (per-page p50
and p99, total), `tags/list` of the 5,000-tag repository (following Link pages if any), and one full garbage
collection of the tree (Berth: `POST /admin/gc?wait=true` on the running server; CNCF: its offline
`garbage-collect` command on the same storage). Berth's RSS is sampled while it pages. See bench/README.md.
"""
import argparse
import datetime
import glob
import hashlib
import http.client
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as harness  # noqa: E402  (servers, CNCF configuration, tables)

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
BIG_REPO = "big/tags"
SETTLE_SECONDS = 6


# ---------------------------------------------------------------- a small concurrent HTTP client

class Client:
    """One keep-alive connection per thread to one registry."""

    def __init__(self, host):
        self.host = host
        self.local = threading.local()

    def request(self, method, path, body=None, headers=None):
        for attempt in range(3):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = self.local.conn = http.client.HTTPConnection(self.host, timeout=600)
            try:
                conn.request(method, path, body=body, headers=headers or {})
                resp = conn.getresponse()
                data = resp.read()
                return resp.status, resp.headers, data
            except (http.client.HTTPException, ConnectionError):
                conn.close()
                self.local.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def expect(self, status, method, path, body=None, headers=None):
        got, hdrs, data = self.request(method, path, body, headers)
        if got != status:
            raise RuntimeError(f"{method} {path}: {got} {data[:300]!r}")
        return hdrs, data


def digest_of(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def content():
    """The shared blobs and the 20 manifests (by tag index) that every repository gets."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    layer = b"scale benchmark layer\n" * 4
    manifests = []
    for i in range(20):
        manifests.append(json.dumps({
            "schemaVersion": 2, "mediaType": MANIFEST_TYPE,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest_of(config),
                       "size": len(config)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest_of(layer),
                        "size": len(layer)}],
            "annotations": {"bench.variant": str(i)},
        }).encode())
    return config, layer, manifests


def upload(client, repo, blob):
    hdrs, _ = client.expect(202, "POST", f"/v2/{repo}/blobs/uploads/", b"", {"Content-Length": "0"})
    location = hdrs["Location"]
    location = re.sub(r"^https?://[^/]+", "", location)
    sep = "&" if "?" in location else "?"
    client.expect(201, "PUT", f"{location}{sep}digest={digest_of(blob)}", blob,
                  {"Content-Type": "application/octet-stream", "Content-Length": str(len(blob))})


def populate_repo(client, repo, tags, blobs, manifests):
    for d in blobs:
        client.expect(201, "POST", f"/v2/{repo}/blobs/uploads/?mount={d}&from={SEED_REPO}", b"",
                      {"Content-Length": "0"})
    for i, tag in enumerate(tags):
        client.expect(201, "PUT", f"/v2/{repo}/manifests/{tag}", manifests[i % len(manifests)],
                      {"Content-Type": MANIFEST_TYPE})


def populate(srv, storage, args):
    """Builds the tree in srv: the first repository and 20 tags of the big one over HTTP (so the registry itself
    writes its layout), then the other repositories and tags as copies of those directories. The copies are
    what the same pushes would write: every link file holds only digests (no repository name), so a
    repository pushed the same content gets byte-identical files."""
    client = Client(srv.host)
    config, layer, manifests = content()
    template = repo_name(0)
    upload(client, template, config)
    upload(client, template, layer)
    tags = [f"v{i:02d}" for i in range(args.tags)]
    for i, tag in enumerate(tags):
        client.expect(201, "PUT", f"/v2/{template}/manifests/{tag}", manifests[i % len(manifests)],
                      {"Content-Type": MANIFEST_TYPE})
    seed = [f"t{i:04d}" for i in range(len(manifests))]
    populate_repo(client, BIG_REPO, template, seed, [digest_of(config), digest_of(layer)], manifests)
    repositories = os.path.join(storage, *srv_repositories(srv))
    t0 = time.perf_counter()
    files = snapshot(os.path.join(repositories, template))
    for r in range(1, args.repos):
        replay(files, os.path.join(repositories, repo_name(r)))
        if r % 1000 == 0:
            print(f"  {srv.name}: {r}/{args.repos} repositories, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    big_tags = os.path.join(repositories, BIG_REPO, "_manifests", "tags")
    for i in range(len(seed), args.big_tags):
        replay(snapshot(os.path.join(big_tags, seed[i % len(seed)])), os.path.join(big_tags, f"t{i:04d}"))
    return time.perf_counter() - t0


def populate_repo(client, repo, source, tags, blobs, manifests):
    for d in blobs:
        client.expect(201, "POST", f"/v2/{repo}/blobs/uploads/?mount={d}&from={source}", b"",
                      {"Content-Length": "0"})
    for i, tag in enumerate(tags):
        client.expect(201, "PUT", f"/v2/{repo}/manifests/{tag}", manifests[i % len(manifests)],
                      {"Content-Type": MANIFEST_TYPE})


def srv_repositories(srv):
    """Where each registry keeps its repositories below its storage root."""
    return ["v2", "repositories"] if srv.name == "berth" else ["docker", "registry", "v2", "repositories"]


def snapshot(directory):
    """Every file below directory: (relative path, content)."""
    files = []
    for dirpath, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                files.append((os.path.relpath(path, directory), f.read()))
    return files


def replay(files, directory):
    for rel, data in files:
        path = os.path.join(directory, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


def repo_name(r):
    # Spread over 100 namespaces of 100 repositories, plus flat names: both shapes a catalog walk meets.
    return f"team{r % 100:02d}/app{r:05d}" if r % 2 == 0 else f"svc{r:05d}"


def start(run_dir, jar, berth_storage, cncf_storage):
    # The shortest settle wait allowed (it must exceed the cache TTL, 5 s); the GC row subtracts it, since
    # nothing writes during the measurement and CNCF's collector is offline.
    berth = harness.start_berth(run_dir, jar, storage=berth_storage,
                                extra=[f"--berth.gc.settle-delay={SETTLE_SECONDS}s"], timeout=300)
    try:
        return [berth, harness.start_cncf(run_dir, storage=cncf_storage)]
    except BaseException:
        berth.stop()
        raise


# ---------------------------------------------------------------- measurements

def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def next_link(headers):
    link = headers.get("Link")
    if not link:
        return None
    m = re.match(r"\s*<([^>]+)>", link)
    return re.sub(r"^https?://[^/]+", "", m.group(1)) if m else None


def page_through(client, first, key):
    """GETs first and every rel=next page; returns (per-page seconds, items seen)."""
    times, items, path = [], 0, first
    while path:
        t0 = time.perf_counter()
        hdrs, data = client.expect(200, "GET", path)
        times.append(time.perf_counter() - t0)
        items += len(json.loads(data)[key] or [])
        path = next_link(hdrs)
    return times, items


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


class Scale:
    def __init__(self, args, work):
        self.args, self.work = args, work
        self.results = {}
        self.notes = []

    def record(self, row, server, value):
        self.results.setdefault(row, {}).setdefault(server, []).append(value)

    def round(self, srv, gc):  # noqa: C901
        client = Client(srv.host)
        # Catalog, with the server's RSS sampled every 50 ms while it pages.
        peak = [rss_mib(srv.proc.pid)]
        stop = threading.Event()

        def sample():
            while not stop.wait(0.05):
                peak[0] = max(peak[0], rss_mib(srv.proc.pid))
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        t0 = time.perf_counter()
        times, names = page_through(client, "/v2/_catalog?n=100", "repositories")
        total = time.perf_counter() - t0
        stop.set()
        sampler.join()
        expected = self.args.repos + 1
        if names != expected:
            raise RuntimeError(f"{srv.name}: catalog listed {names} repositories, expected {expected}")
        self.record("catalog: pages of 100, total (s)", srv.name, total)
        self.record("catalog: page p50 (ms)", srv.name, percentile(times, 50) * 1000)
        self.record("catalog: page p99 (ms)", srv.name, percentile(times, 99) * 1000)
        self.record("catalog: repositories/s", srv.name, names / total)
        self.record("RSS while paging, peak (MiB)", srv.name, peak[0])

        tag_runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            _, tags = page_through(client, f"/v2/{BIG_REPO}/tags/list", "tags")
            tag_runs.append(time.perf_counter() - t0)
            if tags != self.args.big_tags:
                raise RuntimeError(f"{srv.name}: tags/list gave {tags} tags, expected {self.args.big_tags}")
        self.record(f"tags/list of {self.args.big_tags:,} tags (ms, median of 5)", srv.name,
                    statistics.median(tag_runs) * 1000)
        self.record("full GC (s; Berth without its settle wait)", srv.name, gc(srv))
        self.record("load average (1 min)", srv.name, os.getloadavg()[0])


def berth_gc(srv):
    client = Client(srv.host)
    t0 = time.perf_counter()
    _, data = client.expect(200, "POST", "/admin/gc?wait=true", b"", {"Content-Length": "0"})
    elapsed = time.perf_counter() - t0
    report = json.loads(data)
    if report["blobsDeleted"] or report["manifestsDeleted"]:
        raise RuntimeError(f"berth gc deleted content of the tree: {report}")
    return elapsed - report["settleMillis"] / 1000


def cncf_gc_with(cfg):
    def gc(srv):
        t0 = time.perf_counter()
        out = subprocess.run(["docker-registry", "garbage-collect", cfg], check=True, capture_output=True,
                             text=True)
        elapsed = time.perf_counter() - t0
        if "blob eligible for deletion" in out.stdout:
            raise RuntimeError("cncf garbage-collect deleted content of the tree")
        return elapsed
    return gc


def tree_ready(storage, args):
    marker = os.path.join(storage, "scale-tree.json")
    want = {"repos": args.repos, "tags": args.tags, "big_tags": args.big_tags}
    if os.path.exists(marker):
        with open(marker) as f:
            if json.load(f) == want:
                return True
        sys.exit(f"{storage} holds a tree of other dimensions; delete it or pass another --cache")
    return False


def mark_ready(storage, args):
    with open(os.path.join(storage, "scale-tree.json"), "w") as f:
        json.dump({"repos": args.repos, "tags": args.tags, "big_tags": args.big_tags}, f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repos", type=int, default=10_000)
    ap.add_argument("--tags", type=int, default=20)
    ap.add_argument("--big-tags", type=int, default=5_000)
    ap.add_argument("--cache", default=os.path.join(harness.ROOT, "bench", "work", "scale"),
                    help="where both trees are kept between runs")
    ap.add_argument("--populate-only", action="store_true")
    args = ap.parse_args()
    jar = sorted(glob.glob(os.path.join(harness.ROOT, "registry-server", "target", "berth-registry-*.jar")))
    if not jar:
        sys.exit("build first: mvn -B -q -DskipTests package")
    os.makedirs(args.cache, exist_ok=True)
    berth_storage = os.path.join(args.cache, "berth")
    cncf_storage = os.path.join(args.cache, "cncf")
    run_dir = tempfile.mkdtemp(prefix="scale-", dir=args.cache)
    servers = []
    try:
        if not (tree_ready(berth_storage, args) and tree_ready(cncf_storage, args)):
            for path in (berth_storage, cncf_storage):
                shutil.rmtree(path, ignore_errors=True)
            servers = start(run_dir, jar[-1], berth_storage, cncf_storage)
            for srv, storage in zip(servers, (berth_storage, cncf_storage)):
                print(f"populating {srv.name} ...", file=sys.stderr)
                seconds = populate(srv, storage, args)
                mark_ready(storage, args)
                print(f"  {srv.name}: populated in {seconds:.0f} s", file=sys.stderr)
            # Fresh processes for the measurements: nothing of the build stays cached in them.
            for s in servers:
                s.stop()
        if args.populate_only:
            return
        servers = start(run_dir, jar[-1], berth_storage, cncf_storage)
        berth, cncf = servers
        cfg = harness.cncf_config(run_dir, cncf_storage, cncf.port)
        gcs = {"berth": berth_gc, "cncf": cncf_gc_with(cfg)}
        scale = Scale(args, run_dir)
        # Warm both (JIT, page cache) with one untimed pass over the catalog.
        for srv in servers:
            page_through(Client(srv.host), "/v2/_catalog?n=100", "repositories")
        for r in range(args.rounds):
            order = servers if r % 2 == 0 else list(reversed(servers))
            for srv in order:
                print(f"round {r + 1}/{args.rounds}: {srv.name} (load {os.getloadavg()[0]:.2f})", file=sys.stderr)
                scale.round(srv, gcs[srv.name])
        table = harness.summarize(scale.results)
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(run_dir, ignore_errors=True)
    header = (f"Scale run {datetime.datetime.now():%Y-%m-%d %H:%M}, {platform.node()}: {os.cpu_count()} cores; "
              f"{args.repos:,} repositories × {args.tags} tags + one with {args.big_tags:,} tags; {args.rounds} "
              f"rounds, alternating Berth and CNCF registry 2.8.2; load average at the end "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}.")
    report = header + "\n\n" + table + "\n"
    print(report)
    os.makedirs(os.path.join(harness.ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(harness.ROOT, "bench", "results", f"scale-{datetime.date.today()}.md"), "w") as f:
        f.write(report)


if __name__ == "__main__":
    main()
