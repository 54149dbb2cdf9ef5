"""The report under a memory limit (issue 17): svcq and each peer run once in a
memory cgroup of LIMIT_MIB, the way a small container would run them. cgroup v1's
memory controller is used directly where it is writable, cgroup v2 through
`systemd-run --scope -p MemoryMax=`; where neither works the stage says why and
records nothing."""

import json
import os
import shutil
import signal
import subprocess
import time

LIMIT_MIB = 512
V1_ROOT = "/sys/fs/cgroup/memory"


class Limiter:
    """Starts commands under the limit; `how` says which mechanism, for the results."""

    def __init__(self, limit_mib):
        self.limit = limit_mib * 2**20
        self.how = None
        self.why_not = None
        self.v1 = None
        if os.access(V1_ROOT, os.W_OK):
            path = os.path.join(V1_ROOT, f"svcq-bench-{os.getpid()}")
            try:
                os.makedirs(path, exist_ok=True)
                with open(os.path.join(path, "memory.limit_in_bytes"), "w") as f:
                    f.write(str(self.limit))
                self.v1 = path
                self.how = f"a cgroup v1 memory limit of {limit_mib} MiB"
                return
            except OSError as e:
                self.why_not = f"cgroup v1 memory controller not usable: {e}"
        if shutil.which("systemd-run"):
            probe = subprocess.run(
                ["systemd-run", "--quiet", "--scope", "-p", f"MemoryMax={self.limit}", "true"],
                capture_output=True, text=True)
            if probe.returncode == 0:
                self.how = f"`systemd-run --scope -p MemoryMax={limit_mib}M`"
                return
            self.why_not = f"systemd-run failed: {probe.stderr.strip()}"
        elif not self.why_not:
            self.why_not = "no writable cgroup v1 memory controller and no systemd-run"

    def run(self, cmd, stdout, cwd):
        """Runs once in `cwd`; returns (finished, wall seconds, peak RSS MiB, what
        happened)."""
        if self.v1:
            procs = os.path.join(self.v1, "cgroup.procs")

            def enter():
                with open(procs, "w") as f:
                    f.write(str(os.getpid()))
            argv, preexec = cmd, enter
        else:
            argv, preexec = ["systemd-run", "--quiet", "--scope", "-p",
                             f"MemoryMax={self.limit}", *cmd], None
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE, preexec_fn=preexec,
                                cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        err = proc.stderr.read().decode(errors="replace").strip()
        proc.stderr.close()
        peak = usage.ru_maxrss / 1024.0
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
            return False, wall, peak, "killed by the kernel (out of memory)"
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            last = err.splitlines()[-1] if err else ""
            return False, wall, peak, f"exit {code}: {last[:160]}"
        return True, wall, peak, "finished"

    def close(self):
        if self.v1:
            try:
                os.rmdir(self.v1)
            except OSError:
                pass


def run_limited(svcq, peers, data, work, tickets, period, peer_args, compare, svcq_metrics,
                canonical):
    """svcq's report and each peer once under the limit. Returns None with the reason
    when no limit can be set, else (how, {name: (finished, wall, peak, what)}); a run
    that finishes must give the unlimited run's values."""
    limiter = Limiter(LIMIT_MIB)
    if not limiter.how:
        return None, limiter.why_not
    # Run in the work folder: a peer killed while spilling (DuckDB's .tmp) leaves
    # its files there, not in the caller's folder.
    runs_in = os.path.abspath(os.path.join(work, f"limited-{tickets}"))
    os.makedirs(runs_in, exist_ok=True)
    svcq, data = os.path.abspath(svcq), os.path.abspath(data)
    peers = [(name, [os.path.abspath(c) if os.path.exists(c) else c for c in command])
             for name, command in peers]
    try:
        results = {}
        s_json = os.path.join(work, f"svcq-limited-{tickets}.json")
        with open(s_json, "wb") as out:
            results["svcq"] = limiter.run([svcq, "report", "--data", data, *period], out, runs_in)
        if results["svcq"][0]:
            _, metrics = svcq_metrics(s_json)
            compare("svcq (512 MiB)", metrics, "svcq", canonical)
        for name, command in peers:
            p_json = os.path.join(work, f"{name}-limited-{tickets}.json")
            with open(p_json, "wb") as out:
                results[name] = limiter.run([*command, data, *peer_args], out, runs_in)
            if results[name][0]:
                with open(p_json) as f:
                    peer = json.load(f)
                compare(f"{name} (512 MiB)", {k: tuple(v) for k, v in peer["metrics"].items()},
                        "svcq", canonical)
        return limiter.how, results
    finally:
        limiter.close()
        shutil.rmtree(runs_in, ignore_errors=True)
