"""The converge-node processes of a chaos round, and the levers the nemesis pulls on them.

Runs inside the network namespace scripts/chaos.sh made, as root: every address is 127.0.0.1 of
that namespace. Each node runs under a user id of its own (setpriv), so nftables can tell its
packets apart on the shared loopback; under libfaketime, whose offset file the clock faults
rewrite; and over a small tmpfs of its own, which the disk faults fill.
"""

import collections
import os
import shutil
import signal
import subprocess
import time

import redis

FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
UID_BASE = 61000
PEER_PORT_BASE = 7000
CLIENT_PORT_BASE = 8000
RESP_PORT_BASE = 6300
DISK_MIB = 48


class Node:
    """One converge-node: its files, its process and its fault state."""

    def __init__(self, n, folder):
        self.n = n
        self.folder = folder
        self.data = os.path.join(folder, "data")
        self.uid = UID_BASE + n
        self.peer_port = PEER_PORT_BASE + n
        self.client_port = CLIENT_PORT_BASE + n
        self.resp_port = RESP_PORT_BASE + n
        self.clock_file = os.path.join(folder, "faketime")
        self.log = os.path.join(folder, "node.log")
        self.process = None
        self.paused = False
        self.starts = 0

    def running(self):
        return self.process is not None and self.process.poll() is None


class Cluster:
    """Starts, stops, pauses, partitions, skews and fills the nodes. Not thread-safe: one
    nemesis thread drives it (clients only read the ports)."""

    def __init__(self, bin_dir, out, count, sync_interval_ms, commit="every_write"):
        self.bin_dir = bin_dir
        self.nodes = [Node(n, os.path.join(out, "node%d" % n)) for n in range(1, count + 1)]
        self.sync_interval_ms = sync_interval_ms
        self.commit = commit
        self.cuts = collections.Counter()  # (from, to): how many faults stop from's frames to to
        self.mounted = []

    def setup(self):
        """Writes keys and configurations, mounts each node's tmpfs, loads the empty ruleset."""
        keys = {}
        for node in self.nodes:
            os.makedirs(node.data, exist_ok=True)
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dm" % DISK_MIB,
                            "chaos-node%d" % node.n, node.data], check=True)
            self.mounted.append(node.data)
            key_file = os.path.join(node.data, "node.key")
            keys[node.n] = subprocess.run(
                [os.path.join(self.bin_dir, "converge-node"), "keygen", "--secret-file",
                 key_file], check=True, capture_output=True, text=True).stdout.strip()
        for node in self.nodes:
            with open(os.path.join(node.data, "node.toml"), "w") as f:
                f.write(self._config(node, keys))
            with open(node.clock_file, "w") as f:
                f.write("+0\n")
            subprocess.run(["chown", "-R", "%d:%d" % (node.uid, node.uid), node.data],
                           check=True)
            os.chmod(node.folder, 0o755)
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        self._load_rules()

    def _config(self, node, keys):
        lines = ["[node]", "id = %d" % node.n, 'data = "node.db"',
                 'listen = "127.0.0.1:%d"' % node.peer_port,
                 'client = "127.0.0.1:%d"' % node.client_port,
                 'resp = "127.0.0.1:%d"' % node.resp_port,
                 'secret_key_file = "node.key"',
                 "sync_interval_ms = %d" % self.sync_interval_ms,
                 'commit = "%s"' % self.commit]
        for peer in self.nodes:
            if peer is node:
                continue
            lines += ["", "[[peer]]", "id = %d" % peer.n,
                      'address = "127.0.0.1:%d"' % peer.peer_port,
                      'public_key = "%s"' % keys[peer.n]]
        return "\n".join(lines) + "\n"

    def start(self, node):
        """Starts the node and waits (30 s at most, for a loaded machine) until it answers PING."""
        # libfaketime goes into the node only (setpriv runs as root; the node may not open
        # what a root process made).
        faketime = ["LD_PRELOAD=" + FAKETIME_LIB, "FAKETIME_TIMESTAMP_FILE=" + node.clock_file,
                    "FAKETIME_CACHE_DURATION=1", "FAKETIME_DISABLE_SHM=1",
                    "FAKETIME_DONT_FAKE_MONOTONIC=1"]
        log = open(node.log, "a")
        log.write("=== chaos: start %d at %.3f\n" % (node.starts + 1, time.time()))
        log.flush()
        node.process = subprocess.Popen(
            ["setpriv", "--reuid=%d" % node.uid, "--regid=%d" % node.uid, "--clear-groups",
             "env"] + faketime + [os.path.join(self.bin_dir, "converge-node"), "run",
                                  os.path.join(node.data, "node.toml")],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        node.paused = False
        node.starts += 1
        client = redis.Redis(port=node.resp_port, socket_timeout=1, socket_connect_timeout=1)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if node.process.poll() is not None:
                raise RuntimeError("node %d exited with status %d at start; see %s"
                                   % (node.n, node.process.returncode, node.log))
            try:
                client.ping()
                return
            except redis.exceptions.RedisError:
                time.sleep(0.05)
        raise RuntimeError("node %d did not answer PING within 30 s; see %s" % (node.n, node.log))

    def kill(self, node):
        """SIGKILL: the process dies where it stands (a stopped one too)."""
        node.process.send_signal(signal.SIGKILL)
        node.process.wait()
        node.paused = False

    def stop_all(self):
        """SIGTERM to every running node (after SIGCONT), SIGKILL to any still up after 10 s."""
        for node in self.nodes:
            if node.running():
                node.process.send_signal(signal.SIGCONT)
                node.process.send_signal(signal.SIGTERM)
        for node in self.nodes:
            if node.process is None:
                continue
            try:
                node.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                node.process.kill()
                node.process.wait()

    def pause(self, node, paused):
        node.process.send_signal(signal.SIGSTOP if paused else signal.SIGCONT)
        node.paused = paused

    def set_clock(self, node, spec):
        """libfaketime's offset for the node (`+0`, `-15s`, `+0 x1.5`); seen within a second."""
        with open(node.clock_file, "w") as f:
            f.write(spec + "\n")

    def fill_disk(self, node):
        """Fills the node's tmpfs to the last byte with a file of root's."""
        filler = os.path.join(node.data, "filler")
        chunk = b"\0" * (1 << 20)
        with open(filler, "wb", buffering=0) as f:
            try:
                while True:
                    f.write(chunk)
            except OSError:
                pass
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError:
                pass

    def free_disk(self, node):
        try:
            os.unlink(os.path.join(node.data, "filler"))
        except FileNotFoundError:
            pass

    def cut(self, src, dst, on):
        """One-way cut: src's frames stop reaching dst (its connection to dst's port stalls)."""
        self.cuts[(src.n, dst.n)] += 1 if on else -1
        self._load_rules()

    def heal_network(self):
        self.cuts.clear()
        self._load_rules()

    def _load_rules(self):
        rules = ["table inet chaos", "delete table inet chaos", "table inet chaos {",
                 "  chain out {", "    type filter hook output priority 0; policy accept;"]
        for src, dst in sorted(pair for pair, count in self.cuts.items() if count > 0):
            rules.append("    meta skuid %d tcp dport %d drop"
                         % (UID_BASE + src, PEER_PORT_BASE + dst))
        rules += ["  }", "}"]
        subprocess.run(["nft", "-f", "-"], input="\n".join(rules) + "\n", text=True,
                       check=True)

    def teardown(self):
        """Stops the nodes, keeps a copy of each database beside its log, unmounts the tmpfs."""
        self.stop_all()
        for node in self.nodes:
            for name in os.listdir(node.data) if os.path.isdir(node.data) else []:
                if name.startswith("node.db"):
                    shutil.copy(os.path.join(node.data, name), node.folder)
        for path in self.mounted:
            subprocess.run(["umount", "-l", path], check=False)
