#!/usr/bin/env python3
"""Container start cost under each OCI runtime registered with dockerd (default runc,crun), the figures behind the
README's "Container runtime" table. Every mode alternates the runtimes run by run, so a loaded machine's drift is
shared; the runtime mode also reports CPU time, which load does not inflate.

  scripts/measure-oci-runtimes.py runtime [N]        <runtime> run of /bin/true in an OCI bundle of soulbox/python
                                                     (read-only root, memory/pids/CPU limits): CPU (user+sys) and wall
  scripts/measure-oci-runtimes.py engine [N]         Engine API create + start with the silo's create body
                                                     (DockerContainerRuntime.StartAsync), until the agent's socket
                                                     accepts, then force-remove: P50 / P95 of each step
  scripts/measure-oci-runtimes.py pool [ROUNDS] [N]  the real silo (Release build) with a warm pool of N python
                                                     containers: its container-start histogram during a refill, and
                                                     the refill's duration after N sandboxes claimed the pool

Options: --runtimes runc,crun. Run as root after scripts/setup.sh (and a Release build for pool). Containers are
labelled soulbox.measure and removed; the silo removes its own when it stops.
"""
import argparse, datetime, json, os, re, resource, shutil, signal, socket, statistics, subprocess, sys, tempfile, time
import http.client, urllib.request, uuid

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGE = "soulbox/python:latest"


def pct(xs, q):
    xs = sorted(xs)
    k = (len(xs) - 1) * q / 100
    lo = int(k)
    return xs[lo] + (xs[min(lo + 1, len(xs) - 1)] - xs[lo]) * (k - lo)


def alternating(runtimes, n):
    for i in range(n):
        yield from (runtimes if i % 2 == 0 else runtimes[::-1])


# ---------------------------------------------------------------- runtime: the OCI runtime alone
def measure_runtime(runtimes, n):
    bundle = tempfile.mkdtemp(prefix="soulbox-oci-bundle-")
    try:
        os.mkdir(f"{bundle}/rootfs")
        cid = subprocess.run(["docker", "create", "--label", "soulbox.measure=1", IMAGE, "true"], check=True, capture_output=True, text=True).stdout.strip()
        try:
            export = subprocess.Popen(["docker", "export", cid], stdout=subprocess.PIPE)
            subprocess.run(["tar", "-C", f"{bundle}/rootfs", "-x"], stdin=export.stdout, check=True)
            export.wait()
        finally:
            subprocess.run(["docker", "rm", cid], capture_output=True)
        subprocess.run(["runc", "spec"], cwd=bundle, check=True)
        with open(f"{bundle}/config.json") as f:
            config = json.load(f)
        config["process"].update(args=["/bin/true"], terminal=False)
        config["root"]["readonly"] = True
        config["linux"]["resources"] = {"memory": {"limit": 512 << 20, "swap": 512 << 20}, "pids": {"limit": 256},
                                        "cpu": {"quota": 100000, "period": 100000}}
        with open(f"{bundle}/config.json", "w") as f:
            json.dump(config, f)
        samples = {r: {"cpu": [], "wall": []} for r in runtimes}
        for i, r in enumerate(alternating(runtimes, n)):
            before, t = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
            subprocess.run([r, "run", "--bundle", bundle, f"soulbox-measure-{os.getpid()}-{i}"], check=True)
            wall, after = time.monotonic() - t, resource.getrusage(resource.RUSAGE_CHILDREN)
            samples[r]["cpu"].append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1e3)
            samples[r]["wall"].append(wall * 1e3)
        print(f"`<runtime> run` of /bin/true in an OCI bundle of {IMAGE}, {n} each, alternating")
        print("| runtime | CPU per container P50 (mean) | wall P50 / P95 |\n|---|---|---|")
        for r in runtimes:
            s = samples[r]
            print(f"| {r} | {pct(s['cpu'], 50):.1f} ms ({statistics.mean(s['cpu']):.1f}) | {pct(s['wall'], 50):.0f} / {pct(s['wall'], 95):.0f} ms |")
    finally:
        shutil.rmtree(bundle, ignore_errors=True)


# ---------------------------------------------------------------- engine: create + start + agent + remove
class DockerSocket(http.client.HTTPConnection):
    def __init__(self):
        super().__init__("localhost", timeout=60)

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect("/var/run/docker.sock")


def engine_call(conn, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    conn.request(method, "/v1.41" + path, body=data, headers={"Content-Type": "application/json"} if data else {})
    response = conn.getresponse()
    payload = response.read()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: {response.status} {payload[:300]!r}")
    return json.loads(payload) if payload else None


def sandbox_body(runtime, agent_dir, run_dir, uid):
    """The create body of DockerContainerRuntime.StartAsync for a default sandbox (512 MiB, 1 CPU, 256 pids)."""
    return {
        "Image": IMAGE, "User": "0:0", "WorkingDir": "/home/sandbox", "Labels": {"soulbox.measure": "1"},
        "Entrypoint": ["/opt/soulbox/soulbox-exec", "init", "--", "/opt/soulbox/soulbox-agent",
                       "--socket", "/run/soulbox/agent.sock", "--uid", str(uid), "--gid", str(uid)],
        "Cmd": [], "NetworkDisabled": True,
        "HostConfig": {
            "NetworkMode": "none", "ReadonlyRootfs": True,
            "Binds": [f"{agent_dir}:/opt/soulbox:ro", f"{run_dir}:/run/soulbox:rw",
                      f"{run_dir}/passwd:/etc/passwd:ro", f"{run_dir}/group:/etc/group:ro"],
            "Tmpfs": {"/home/sandbox": f"rw,exec,nosuid,nodev,size=512m,nr_inodes=65536,uid={uid},gid={uid},mode=0755",
                      "/tmp": "rw,exec,nosuid,nodev,size=512m,nr_inodes=65536,mode=1777",
                      "/dev/shm": "rw,noexec,nosuid,nodev,size=64m,nr_inodes=65536,mode=1777"},
            "CapDrop": ["ALL"], "CapAdd": ["CHOWN", "KILL", "SETUID", "SETGID"], "SecurityOpt": ["no-new-privileges"],
            "Memory": 512 << 20, "MemorySwap": 512 << 20, "NanoCpus": 1_000_000_000, "PidsLimit": 256,
            "Ulimits": [{"Name": "nofile", "Soft": 1024, "Hard": 1024}, {"Name": "core", "Soft": 0, "Hard": 0},
                        {"Name": "nproc", "Soft": 208, "Hard": 208}],
            "Runtime": runtime, "LogConfig": {"Type": "json-file", "Config": {"max-size": "1m", "max-file": "1"}},
        },
    }


def engine_start(conn, runtime, agent_dir):
    name = f"soulbox-measure-{uuid.uuid4().hex[:12]}"
    run_dir = f"/run/soulbox-measure/{name[-12:]}"
    # Above the silo's uid lease range (2,000,000,000 + 100,000,000): never a uid a sandbox of a running silo has.
    uid = 2_100_000_000 + os.getpid() % 1_000_000
    os.makedirs(run_dir, mode=0o700)
    for file, text in (("passwd", f"root:x:0:0:root:/root:/bin/sh\nsandbox:x:{uid}:{uid}::/home/sandbox:/bin/bash\n"),
                       ("group", f"root:x:0:\nsandbox:x:{uid}:\n")):
        with open(f"{run_dir}/{file}", "w") as f:
            f.write(text)
        os.chmod(f"{run_dir}/{file}", 0o644)
    cid = None
    try:
        t0 = time.monotonic()
        cid = engine_call(conn, "POST", f"/containers/create?name={name}", sandbox_body(runtime, agent_dir, run_dir, uid))["Id"]
        t1 = time.monotonic()
        engine_call(conn, "POST", f"/containers/{cid}/start")
        t2 = time.monotonic()
        while time.monotonic() < t2 + 20:
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.connect(f"{run_dir}/agent.sock")
                break
            except OSError:
                time.sleep(0.002)
        else:
            raise RuntimeError(f"{runtime}: the agent in {name} did not answer")
        t3 = time.monotonic()
        engine_call(conn, "DELETE", f"/containers/{cid}?force=1&v=1")
        cid = None
        t4 = time.monotonic()
    finally:
        if cid is not None:
            subprocess.run(["docker", "rm", "-f", cid], capture_output=True)
        shutil.rmtree(run_dir, ignore_errors=True)
    return {"create": t1 - t0, "start": t2 - t1, "create+start": t2 - t0, "agent answers": t3 - t0, "remove": t4 - t3}


def measure_engine(runtimes, n):
    agent_dir = f"{REPO}/artifacts/agent"
    if not os.path.exists(f"{agent_dir}/soulbox-agent"):
        sys.exit(f"{agent_dir}/soulbox-agent is missing: run scripts/setup.sh")
    conn = DockerSocket()
    for r in runtimes:
        engine_start(conn, r, agent_dir)  # warm-up, not counted
    samples = {r: [] for r in runtimes}
    for r in alternating(runtimes, n):
        samples[r].append(engine_start(conn, r, agent_dir))
    keys = list(samples[runtimes[0]][0])
    print(f"Engine API, the silo's create body, {n} each, alternating; ms P50 / P95")
    print("| runtime | " + " | ".join(keys) + " |\n|---|" + "---|" * len(keys))
    for r in runtimes:
        print(f"| {r} | " + " | ".join(f"{pct([s[k] * 1e3 for s in samples[r]], 50):.0f} / {pct([s[k] * 1e3 for s in samples[r]], 95):.0f}" for k in keys) + " |")


# ---------------------------------------------------------------- pool: the real silo's warm pool
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metric(text, pattern):
    m = re.search(pattern + r"\s+([0-9.eE+-]+)", text)
    return float(m.group(1)) if m else None


def scrape(port):
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
    except OSError:
        return ""


def wait_warm(port, n, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = scrape(port)
        warm = metric(text, r'soulbox_pool_warm\{[^}]*template="python"[^}]*\}')
        if warm is not None and warm >= n:
            return text
        time.sleep(0.05)
    raise RuntimeError(f"the pool did not reach {n} warm containers in {timeout} s")


def pool_run(runtime, n, silo, log_dir):
    node = f"measure{runtime}{uuid.uuid4().hex[:6]}"
    port = free_port()
    env = dict(os.environ, **{
        "SoulBox__NodeName": node, "SoulBox__SiloPort": str(free_port()), "SoulBox__GatewayPort": str(free_port()),
        "Urls": f"http://127.0.0.1:{port}", "SoulBox__Http__Urls": f"http://127.0.0.1:{port}",
        "SoulBox__Docker__OciRuntime": runtime, "SoulBox__Pool__Templates__0": "python",
        "SoulBox__Pool__MinWarmPerTemplate": str(n), "SoulBox__Pool__MaxWarmPerTemplate": str(max(n, 16)),
        "Logging__LogLevel__Default": "Warning", "Logging__LogLevel__SoulBox": "Information"})
    start = r"soulbox_container_start_duration_milliseconds_(sum|count)\{[^}]*\}"
    with open(f"{log_dir}/{node}.log", "w") as log:
        process = subprocess.Popen(["dotnet", silo], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            before = wait_warm(port, n, 300)
            time.sleep(2)
            for _ in range(n):  # each create claims a warm container
                request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/sandboxes", data=b'{"template":"python"}',
                                                 headers={"content-type": "application/json"}, method="POST")
                urllib.request.urlopen(request, timeout=60).read()
            claimed = time.time()
            after = wait_warm(port, n, 300)
            refill = time.time() - claimed
            sums = [metric(t, start.replace("(sum|count)", "sum")) or 0 for t in (before, after)]
            counts = [metric(t, start.replace("(sum|count)", "count")) or 0 for t in (before, after)]
            return {"refill": refill * 1e3, "start": (sums[1] - sums[0]) / max(1, counts[1] - counts[0])}
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                process.kill()


def measure_pool(runtimes, rounds, n):
    silo = f"{REPO}/artifacts/build/bin/SoulBox.Silo/release/SoulBox.Silo.dll"
    if not os.path.exists(silo):
        sys.exit(f"{silo} is missing: dotnet build SoulBox.sln -c Release")
    log_dir = tempfile.mkdtemp(prefix="soulbox-measure-pool-")
    results = {r: [] for r in runtimes}
    for r in alternating(runtimes, rounds):
        results[r].append(pool_run(r, n, silo, log_dir))
        print(r, json.dumps(results[r][-1]), flush=True)
    print(f"warm pool of {n} python containers, {rounds} silo runs each, alternating (silo logs: {log_dir}); medians of the runs")
    print("| runtime | container start during the refill (mean per run) | refill after claiming all |\n|---|---|---|")
    for r in runtimes:
        print(f"| {r} | {statistics.median(x['start'] for x in results[r]):.0f} ms | {statistics.median(x['refill'] for x in results[r]):.0f} ms |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["runtime", "engine", "pool"])
    parser.add_argument("counts", nargs="*", type=int)
    parser.add_argument("--runtimes", default="runc,crun")
    args = parser.parse_args()
    runtimes = args.runtimes.split(",")
    if args.mode == "runtime":
        measure_runtime(runtimes, (args.counts or [40])[0])
    elif args.mode == "engine":
        os.makedirs("/run/soulbox-measure", mode=0o700, exist_ok=True)
        measure_engine(runtimes, (args.counts or [40])[0])
    else:
        rounds, n = (args.counts + [6, 8][len(args.counts):])[:2]
        measure_pool(runtimes, rounds, n)


main()
