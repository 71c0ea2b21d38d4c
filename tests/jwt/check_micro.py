#!/usr/bin/env python3
"""check_micro.py — runs authbench_micro's JWT benchmarks briefly and fails when one is missing or
reports an error: a benchmark whose operation fails must say so, never report a fast time.
With --libjwt (given when the build found libjwt) the libjwt peers must all be there too."""
import json
import subprocess
import sys

ALGS = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
        "ES256", "ES384", "ES512", "EdDSA", "Ed25519"]
LIBJWT_ALGS = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512"]


def main():
    args = sys.argv[1:]
    libjwt = "--libjwt" in args
    if libjwt:
        args.remove("--libjwt")
    if len(args) != 1:
        print("usage: check_micro.py AUTHBENCH_MICRO [--libjwt]", file=sys.stderr)
        return 2
    r = subprocess.run([args[0], "--benchmark_filter=^BM_(jwt_|floor_verify|peer_libjwt|b64url_decode|claims_parse)",
                        "--benchmark_min_time=0.001", "--benchmark_format=json"],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        print(f"FAIL: authbench_micro exited {r.returncode}: {r.stderr}", file=sys.stderr)
        return 1
    benchmarks = json.loads(r.stdout)["benchmarks"]
    names = {b["name"] for b in benchmarks}
    expected = {f"BM_b64url_decode/{n}" for n in (64, 256, 1024, 4096)} | {"BM_claims_parse/typical", "BM_claims_parse/large"}
    for alg in ALGS:
        expected |= {f"BM_jwt_verify/{alg}/typical", f"BM_jwt_verify/{alg}/large", f"BM_jwt_sign/{alg}/typical",
                     f"BM_jwt_sign/{alg}/large", f"BM_floor_verify/{alg}"}
    peers = {n for n in names if n.startswith("BM_peer_libjwt_verify/")}
    if (peers or libjwt) and peers != {f"BM_peer_libjwt_verify/{a}" for a in LIBJWT_ALGS}:
        print(f"FAIL: libjwt peers {sorted(peers)}", file=sys.stderr)
        return 1
    missing = expected - names
    errors = [f"{b['name']}: {b.get('error_message', '')}" for b in benchmarks if b.get("error_occurred")]
    if missing or errors:
        print(f"FAIL: missing {sorted(missing)}; errors {errors}", file=sys.stderr)
        return 1
    print(f"{len(names)} JWT micro-benchmarks ran without error ({len(peers)} libjwt peers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
