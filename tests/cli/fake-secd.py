#!/usr/bin/env python3
# A stand-in for offload-secd's API (daemon/io.offload-sec.Launcher.varlink)
# that the CLI tests talk to: Varlink over a Unix socket, NUL-framed JSON,
# the destination passed with SCM_RIGHTS.  Launch writes the components
# given on the command line into the destination, as the card would, and
# answers like the daemon; nothing is attested.
#
#   fake-secd.py SOCKET MODE KERNEL INITRD CMDLINE
#
# MODE: ok (a launch that succeeds), refused (the verifier says no),
# slow (waits in stage load until the caller goes away, then writes
# "cancelled" to SOCKET.cancelled).
import array
import base64
import hashlib
import json
import os
import socket
import sys
import time

IFACE = "io.offload-sec.Launcher"
PAGE = 4096
STAGES = ["fetch", "verify", "measure", "attest", "appraise", "confirm",
          "key", "load", "finish"]


def recv_msg(conn, fds):
    buf = b""
    while not buf.endswith(b"\0"):
        data, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(8 * 4))
        if not data:
            return None
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                a = array.array("i")
                a.frombytes(payload[:len(payload) - len(payload) % a.itemsize])
                fds.extend(a)
        buf += data
    return json.loads(buf[:-1])


def send(conn, msg):
    conn.sendall(json.dumps(msg).encode() + b"\0")


def b64(data):
    return base64.b64encode(data).decode()


def write_components(fd, offset, files):
    comps, pos = [], 0
    for kind, path in zip(("kernel", "initrd", "cmdline"), files):
        with open(path, "rb") as f:
            data = f.read()
        os.pwrite(fd, data, offset + pos)
        comps.append({"kind": kind, "sha256": hashlib.sha256(data).hexdigest(),
                      "size": len(data), "offset": pos})
        pos = (pos + len(data) + PAGE - 1) // PAGE * PAGE
    return comps


def verdict(name):
    check = {"check": "image", "claim": "executables", "status": name,
             "expected": "one of 2 digests", "actual": "3f2a" * 16,
             "reason": "initrd digest 3f2a not in policy 'test-policy'"}
    return {"verdict": name, "policy_id": "test-policy",
            "policy_digest": "ab" * 32, "failed": ["image"] if
            name == "contraindicated" else [], "checks": [check]}


def launch(conn, params, fds, mode, files):
    lid = "0123456789abcdef"
    base = {"id": lid, "image": params["image"],
            "version": params.get("version") or "2.0"}
    dest = fds[params["destination"]]
    timings = {}
    for stage in STAGES:
        send(conn, {"parameters": dict(base, stage=stage), "continues": True})
        timings[stage] = 1500
        if stage == "appraise" and mode == "refused":
            send(conn, {"error": IFACE + ".Refused", "parameters": {
                "id": lid, "reason": "the verifier refused the report",
                "verdict": verdict("contraindicated"), "timings": timings}})
            return
        if stage == "load":
            comps = write_components(dest, params.get("offset", 0), files)
            total = sum(c["size"] for c in comps)
            for done in (total // 2, total):
                send(conn, {"parameters": dict(base, stage=stage, progress={
                    "stage": stage, "done": done, "total": total}),
                    "continues": True})
            if mode == "slow":
                conn.settimeout(30)
                if not conn.recv(1):
                    with open(sys.argv[1] + ".cancelled", "w") as f:
                        f.write("cancelled\n")
                return
    final = dict(base, stage="done", device="offload-sec0",
                 session_id="5e" * 16, components=comps,
                 boot_measurement="b0" * 32, verdict=verdict("affirming"),
                 receipt="7e" * 32, timings=timings,
                 evidence={"report": b64(b"report"),
                           "chain": [b64(b"deviceid-der"), b64(b"alias-der")],
                           "confirmation": b64(b"confirmation")})
    send(conn, {"parameters": final})


def entry(state):
    return {"id": "0123456789abcdef", "image": "vm", "version": "2.0",
            "stage": "load", "outcome": state, "uid": 0, "pid": 42,
            "started_usec": int(time.time() * 1e6) - 150 * 10**6,
            "progress": {"stage": "load", "done": 512, "total": 1024}}


def serve(conn, mode, files):
    fds = []
    while True:
        call = recv_msg(conn, fds)
        if call is None:
            return
        method, params = call["method"], call.get("parameters", {})
        if method == IFACE + ".Launch":
            launch(conn, params, fds, mode, files)
        elif method == IFACE + ".List":
            send(conn, {"parameters": {"launches": [entry("running")]}})
        elif method == IFACE + ".Status" and params["id"] == "0123456789abcdef":
            send(conn, {"parameters": {"launch": entry("running")}})
        elif method == IFACE + ".Cancel" and params["id"] == "0123456789abcdef":
            send(conn, {"parameters": {}})
        elif method in (IFACE + ".Status", IFACE + ".Cancel"):
            send(conn, {"error": IFACE + ".NoSuchLaunch",
                        "parameters": {"id": params["id"]}})
        else:
            send(conn, {"error": "org.varlink.service.MethodNotFound",
                        "parameters": {"method": method}})
        for fd in fds:
            os.close(fd)
        fds.clear()


def main():
    path, mode, files = sys.argv[1], sys.argv[2], sys.argv[3:6]
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(8)
    while True:
        conn, _ = srv.accept()
        with conn:
            try:
                serve(conn, mode, files)
            except (BrokenPipeError, ConnectionResetError):
                pass


main()
