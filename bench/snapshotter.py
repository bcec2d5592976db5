#!/usr/bin/env python3
"""Berth's containerd snapshotter against containerd's own overlayfs snapshotter, through CRI.

Each round starts a private containerd 1.6 (Debian's package) for each contender and times what the kubelet
waits for: CRI ImageService.PullImage of a 5-layer image of incompressible bytes from a CNCF registry on
loopback, until containerd answers.

  berth, pre-pulled    berth-pull pulled the image into the snapshotter's store beforehand (not timed);
                       containerd finds every layer there (remote snapshots) and fetches no layer
  berth, --pull-missing the store is empty; the snapshotter pulls the image itself with Berth's pipeline
                       when CRI asks for its first layer
  overlayfs            containerd fetches every blob into its content store and unpacks it

Needs containerd, docker-registry, skopeo and python3-grpcio (Debian packages), root, and
`mvn -B -q -DskipTests package -pl client-puller -am`.
"""
import argparse
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import time

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as harness  # noqa: E402  (image generation and the CNCF registry)

ROOT = harness.ROOT
MiB = harness.MiB
BERTH_PULL = os.path.join(ROOT, "client-puller", "bin", "berth-pull")


def _field(number, payload):
    """One length-delimited protobuf field: the two CRI messages needed here are nothing else."""
    key, length, out = (number << 3) | 2, len(payload), bytearray()
    out.append(key)
    while True:
        byte, length = length & 0x7F, length >> 7
        out.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(out) + payload


def cri_pull(socket_path, image):
    """runtime.v1.ImageService/PullImage{image: ImageSpec{image}}, as the kubelet sends it."""
    with grpc.insecure_channel(f"unix://{socket_path}") as channel:
        pull = channel.unary_unary("/runtime.v1.ImageService/PullImage")
        pull(_field(1, _field(1, image.encode())), timeout=900)


def wait_for(condition, what, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


class Containerd:
    def __init__(self, work, snapshotter, registry, proxy_socket=None):
        self.dir = work
        os.makedirs(os.path.join(work, "cni"), exist_ok=True)
        proxy = f"""
[proxy_plugins]
  [proxy_plugins.berth]
    type = "snapshot"
    address = "{proxy_socket}"
""" if proxy_socket else ""
        cri = 'plugins."io.containerd.grpc.v1.cri"'
        config = f"""version = 2
root = "{work}/root"
state = "{work}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.internal.v1.opt", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "{work}/containerd.sock"
[ttrpc]
  address = "{work}/containerd.sock.ttrpc"
{proxy}
[{cri}]
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [{cri}.containerd]
    snapshotter = "{snapshotter}"
    disable_snapshot_annotations = false
  [{cri}.cni]
    bin_dir = "{work}/cni"
    conf_dir = "{work}/cni"
  [{cri}.registry.mirrors."{registry}"]
    endpoint = ["http://{registry}"]
"""
        with open(os.path.join(work, "config.toml"), "w") as f:
            f.write(config)
        self.log = open(os.path.join(work, "containerd.log"), "w")
        self.proc = subprocess.Popen(["containerd", "--config", os.path.join(work, "config.toml")],
                                     stdout=self.log, stderr=self.log)
        wait_for(lambda: subprocess.run(["ctr", "-a", self.socket, "version"], capture_output=True).returncode == 0,
                 "containerd")

    @property
    def socket(self):
        return os.path.join(self.dir, "containerd.sock")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)


class Snapshotter:
    def __init__(self, work, root, extra=()):
        self.socket = os.path.join(work, "snapshotter.sock")
        self.log = open(os.path.join(work, "snapshotter.log"), "w")
        self.proc = subprocess.Popen([BERTH_PULL, "snapshotter", "--root", root, "--address", self.socket, *extra],
                                     stdout=self.log, stderr=self.log)
        wait_for(lambda: os.path.exists(self.socket), "the snapshotter's socket")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)


def busybox_image(path, work):
    """Debian's static busybox as a one-layer image, for timing container start-up."""
    if os.path.exists(os.path.join(path, "index.json")):
        return
    layout = harness.Layout(path)

    def fill(tar):
        for d in ("bin", "proc", "dev", "sys", "etc", "tmp"):
            info = tarfile.TarInfo(d)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
            tar.addfile(info)
        with open("/bin/busybox", "rb") as f:
            info = tar.gettarinfo(fileobj=f, arcname="bin/busybox")
            info.uid = info.gid = info.mtime = 0
            info.uname = info.gname = ""
            tar.addfile(info, f)

    d, diff = harness.write_layer(layout, work, fill)
    layout.finish([d], [diff], "bench")


def one_round(contender, work, registry, image, busybox):
    """Seconds from CRI PullImage to its answer, and the median `ctr run` of a pulled busybox (None for
    --pull-missing), for one contender, on fresh state."""
    os.makedirs(work)
    snapshotter = None
    try:
        if contender == "overlayfs":
            containerd = Containerd(os.path.join(work, "containerd"), "overlayfs", registry)
        else:
            root = os.path.join(work, "berth")
            extra = []
            if contender == "berth, pre-pulled":
                for ref in (image, busybox):
                    subprocess.run([BERTH_PULL, "pull", "--root", root, "--plain-http", ref], check=True,
                                   stdout=subprocess.DEVNULL)
            else:
                extra = ["--pull-missing", "--plain-http"]
            snapshotter = Snapshotter(work, root, extra)
            containerd = Containerd(os.path.join(work, "containerd"), "berth", registry, snapshotter.socket)
        try:
            # A node's containerd and snapshotter are long-running: warm both (the proxy connection, the JVM's
            # first calls) with a snapshot made and removed through containerd before the clock starts.
            sn = "overlayfs" if contender == "overlayfs" else "berth"
            ctr = ["ctr", "-a", containerd.socket, "-n", "warmup", "snapshot", "--snapshotter", sn]
            for _ in range(3):
                subprocess.run(ctr + ["prepare", "warm", ""], check=True, stdout=subprocess.DEVNULL)
                subprocess.run(ctr + ["rm", "warm"], check=True, stdout=subprocess.DEVNULL)
            subprocess.run(["sync"], check=True)
            t0 = time.perf_counter()
            cri_pull(containerd.socket, image)
            pulled = time.perf_counter() - t0
            if contender == "berth, --pull-missing":
                return pulled, None
            # Container start-up: snapshot prepared on the image, mounted, run, removed.
            cri_pull(containerd.socket, busybox)
            runs = []
            for i in range(5):
                t0 = time.perf_counter()
                subprocess.run(["ctr", "-a", containerd.socket, "-n", "k8s.io", "run", "--rm", "--snapshotter", sn,
                                busybox, f"bench-{i}", "/bin/busybox", "true"], check=True, stdout=subprocess.DEVNULL)
                runs.append(time.perf_counter() - t0)
            return pulled, statistics.median(runs)
        finally:
            containerd.stop()
    finally:
        if snapshotter:
            snapshotter.stop()
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--layers", type=int, default=5)
    ap.add_argument("--layer-mib", type=int, default=100)
    ap.add_argument("--work", default=os.path.join(ROOT, "bench", "work"))
    args = ap.parse_args()

    images_dir = os.path.join(args.work, "images")
    os.makedirs(images_dir, exist_ok=True)
    layout = os.path.join(images_dir, f"big-{args.layers}x{args.layer_mib}")
    harness.big_image(layout, images_dir, layers=args.layers, size=args.layer_mib * MiB)
    bb_layout = os.path.join(images_dir, "busybox")
    busybox_image(bb_layout, images_dir)
    registry = harness.start_cncf(args.work)
    contenders = ["berth, pre-pulled", "berth, --pull-missing", "overlayfs"]
    results = {c: [] for c in contenders}
    starts = {c: [] for c in contenders}
    try:
        image = f"{registry.host}/bench/big:1"
        busybox = f"{registry.host}/bench/busybox:1"
        harness.run(["skopeo", "copy", "--dest-tls-verify=false", f"oci:{layout}:bench", f"docker://{image}"])
        harness.run(["skopeo", "copy", "--dest-tls-verify=false", f"oci:{bb_layout}:bench", f"docker://{busybox}"])
        for r in range(args.rounds):
            for c in contenders:
                seconds, start = one_round(c, os.path.join(args.work, f"round-{r}-{c.split(',')[0]}-{len(results[c])}"),
                                           registry.host, image, busybox)
                results[c].append(seconds)
                if start is not None:
                    starts[c].append(start)
                print(f"round {r + 1}: {c}: pull {seconds:.2f} s, ctr run {start}", file=sys.stderr)
    finally:
        registry.stop()

    base = statistics.median(results["overlayfs"])
    lines = [f"Run {datetime.datetime.now():%Y-%m-%d %H:%M}: CRI PullImage of {args.layers} x {args.layer_mib} MiB "
             f"incompressible layers, {args.rounds} rounds, contenders alternating.", "",
             "| snapshotter | seconds, median (min–max) | overlayfs / this |", "|---|---|---|"]
    for c in contenders:
        v = results[c]
        lines.append(f"| {c} | {statistics.median(v):.2f} ({min(v):.2f}–{max(v):.2f}) | "
                     f"{base / statistics.median(v):.1f}× |")
    run_base = statistics.median(starts["overlayfs"])
    lines += ["", "`ctr run --rm` of a busybox (pulled through CRI; pre-pulled by berth-pull for Berth), median of 5 per "
              "round:", "", "| snapshotter | seconds, median of rounds (min–max) | this / overlayfs |", "|---|---|---|"]
    for c in ("berth, pre-pulled", "overlayfs"):
        v = starts[c]
        lines.append(f"| {c} | {statistics.median(v):.3f} ({min(v):.3f}–{max(v):.3f}) | "
                     f"{statistics.median(v) / run_base:.2f}× |")
    report = "\n".join(lines)
    print(report)
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", f"snapshotter-{datetime.date.today()}.md"), "w") as f:
        f.write(report + "\n")


if __name__ == "__main__":
    main()
