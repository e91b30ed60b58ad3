#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Independent check of offload-sec reports and confirmations.

Written from docs/report-profile.md alone: it shares no code with libofs.
CBOR is decoded by python3-cbor2, the ES384 signature is checked by the
openssl command line over a Sig_structure built here, with the r || s
signature converted to DER here.

  verify-report.py REPORT DEVICE_PUB.pem [CONFIRMATION RAS_PUB.pem]

Runs under the distribution's python3, where apt installs python3-cbor2.

Prints "ok - ..." / "not ok - ..." lines and exits non-zero on any failure.
"""
import hashlib
import os
import subprocess
import sys
import tempfile

import cbor2

REPORT_PROFILE = "tag:offload-sec,2026:report/v1"
CONFIRM_PROFILE = "tag:offload-sec,2026:confirmation/v1"
PROTECTED_ES384 = bytes([0xA1, 0x01, 0x38, 0x22])  # {1: -35}

failures = 0


def check(ok, what):
    global failures
    print(("ok - " if ok else "not ok - ") + what)
    if not ok:
        failures += 1
    return ok


def der_int(b):
    b = b.lstrip(b"\x00") or b"\x00"
    if b[0] & 0x80:
        b = b"\x00" + b
    return bytes([0x02, len(b)]) + b


def der_len(n):
    return bytes([n]) if n < 0x80 else bytes([0x81, n])


def raw_to_der(sig):
    body = der_int(sig[:48]) + der_int(sig[48:])
    return bytes([0x30]) + der_len(len(body)) + body


def openssl_verify(pub, tbs, der):
    with tempfile.TemporaryDirectory() as d:
        tbs_path, sig_path = os.path.join(d, "tbs"), os.path.join(d, "sig.der")
        with open(tbs_path, "wb") as f:
            f.write(tbs)
        with open(sig_path, "wb") as f:
            f.write(der)
        r = subprocess.run(["openssl", "dgst", "-sha384", "-verify", pub,
                            "-signature", sig_path, tbs_path],
                           capture_output=True, text=True)
        return r.returncode == 0 and "Verified OK" in r.stdout


def open_cose(data, pub, name):
    """Checks the envelope; returns the payload bytes, or None."""
    msg = cbor2.loads(data)
    if not check(isinstance(msg, cbor2.CBORTag) and msg.tag == 18,
                 f"{name}: tagged COSE_Sign1 (18)"):
        return None
    arr = msg.value
    if not check(isinstance(arr, list) and len(arr) == 4, f"{name}: array of 4"):
        return None
    prot, unprot, payload, sig = arr
    check(prot == PROTECTED_ES384, f"{name}: protected header is exactly {{1: -35}}")
    check(isinstance(unprot, dict) and set(unprot) <= {4}, f"{name}: unprotected is {{}} or {{4: kid}}")
    check(isinstance(payload, bytes), f"{name}: payload attached")
    check(isinstance(sig, bytes) and len(sig) == 96, f"{name}: signature is 96 bytes")
    check(cbor2.dumps(msg, canonical=True) == data, f"{name}: envelope is canonical CBOR")
    tbs = cbor2.dumps(["Signature1", prot, b"", payload])
    check(openssl_verify(pub, tbs, raw_to_der(sig)), f"{name}: openssl verifies ES384 signature")
    bad = bytearray(tbs)
    bad[-1] ^= 1
    check(not openssl_verify(pub, bytes(bad), raw_to_der(sig)),
          f"{name}: openssl rejects a tampered payload")
    return payload


def bstr(n):
    return lambda v: isinstance(v, bytes) and len(v) == n


def uint(maxv):
    return lambda v: type(v) is int and 0 <= v <= maxv


def text(maxlen):
    return lambda v: isinstance(v, str) and 1 <= len(v.encode()) <= maxlen and "\0" not in v


def stage_name(v):
    # 1..63 printable ASCII characters (0x21-0x7e): no space, no UTF-8 beyond ASCII.
    return isinstance(v, str) and 1 <= len(v) <= 63 and all(0x21 <= ord(c) <= 0x7e for c in v)


def array_of(lo, hi, item):
    return lambda v: isinstance(v, list) and lo <= len(v) <= hi and all(item(x) for x in v)


def tuple_of(*items):
    return lambda v: isinstance(v, list) and len(v) == len(items) and \
        all(f(x) for f, x in zip(items, v))


U32, U64 = 2**32 - 1, 2**64 - 1

REPORT_CLAIMS = {
    10: bstr(32),
    256: lambda v: bstr(33)(v) and v[0] == 0x01,
    263: uint(4),
    265: lambda v: v == REPORT_PROFILE,
    267: uint(U64),
    -65537: tuple_of(uint(0xFFFF), uint(0xFFFF), uint(U32)),
    -65538: uint(U32),
    -65539: array_of(1, 8, bstr(32)),
    -65540: array_of(1, 32, tuple_of(uint(3), stage_name, bstr(32), uint(U32))),
    -65541: array_of(1, 3, tuple_of(uint(2), bstr(32), uint(U64))),
    -65542: bstr(16),
    -65543: lambda v: bstr(97)(v) and v[0] == 0x04,
    -65544: lambda v: bstr(97)(v) and v[0] == 0x04,
}

CONFIRM_CLAIMS = {
    4: uint(U64),
    6: uint(U64),
    10: bstr(32),
    265: lambda v: v == CONFIRM_PROFILE,
    -65537: bstr(32),
    -65538: lambda v: v in (2, 32, 96),
    -65539: text(64),
    -65540: bstr(32),
    -65541: lambda v: isinstance(v, bytes) and 1 <= len(v) <= 32,
}


def check_claims(payload, table, name):
    claims = cbor2.loads(payload)
    check(isinstance(claims, dict) and set(claims) == set(table),
          f"{name}: exactly the profile's claim keys")
    check(cbor2.dumps(claims, canonical=True) == payload, f"{name}: claims are canonical CBOR")
    for key, ok in table.items():
        check(key in claims and ok(claims[key]), f"{name}: claim {key} well-typed and sized")
    return claims


def main(argv):
    if len(argv) not in (3, 5):
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], "rb") as f:
        report = f.read()
    check(len(report) <= 16384, "report: at most 16 KiB")
    payload = open_cose(report, argv[2], "report")
    rep = check_claims(payload, REPORT_CLAIMS, "report") if payload is not None else {}
    regs = rep.get(-65539, [])
    for ev in rep.get(-65540, []):
        check(ev[0] < len(regs), f"report: event '{ev[1]}' names an existing register")
    comps = [c[0] for c in rep.get(-65541, [])]
    check(comps == sorted(set(comps)), "report: components unique and ascending")
    if len(argv) == 5:
        with open(argv[3], "rb") as f:
            conf = f.read()
        check(len(conf) <= 4096, "confirmation: at most 4 KiB")
        payload = open_cose(conf, argv[4], "confirmation")
        if payload is not None:
            c = check_claims(payload, CONFIRM_CLAIMS, "confirmation")
            check(c.get(-65537) == hashlib.sha256(report).digest(),
                  "confirmation: SHA-256 of the exact report bytes")
            check(c.get(10) == rep.get(10), "confirmation: echoes the report's nonce")
            check(c.get(4, 0) > c.get(6, 0), "confirmation: exp after iat")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
