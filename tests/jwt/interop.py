#!/usr/bin/env python3
"""interop.py — `authbench jwt` against an independent JOSE implementation (Python joserfc), both ways.

For every algorithm: our keygen + sign, joserfc verifies; joserfc signs with the same key, our verify
accepts; joserfc's own keys (exported as JWKs) verify with us; a tampered token is rejected by both.
Fails (exit 1), never skips, when joserfc cannot be imported or AUTHBENCH_BIN is not set.
"""
import json
import os
import subprocess
import sys
import tempfile

ALGS = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
        "ES256", "ES384", "ES512", "EdDSA", "Ed25519"]
CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
CLAIMS = {"sub": "interop", "roles": ["a", "b"], "n": 42, "s": "caf\u00e9"}


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def run(binary, *args):
    return subprocess.run([binary, "jwt", *args], capture_output=True, text=True, timeout=60)


def tamper(token, part):
    """Changes one character in the middle of part 1 (payload) or 2 (signature), staying base64url."""
    parts = token.split(".")
    s = parts[part]
    i = len(s) // 2
    parts[part] = s[:i] + ("A" if s[i] != "A" else "B") + s[i + 1:]
    return ".".join(parts)


def keys_for(alg, prefix, jwk):
    """joserfc keys (signing, verifying) for the files our keygen wrote."""
    if alg.startswith("HS"):
        with open(prefix + ".key") as f:
            key = jwk.OctKey.import_key(json.load(f))
        return key, key
    cls = jwk.RSAKey if alg[0] in "RP" else jwk.ECKey if alg[0] == "E" and alg[1] == "S" else jwk.OKPKey
    with open(prefix + ".key", "rb") as f:
        private = cls.import_key(f.read())
    with open(prefix + ".pub", "rb") as f:
        public = cls.import_key(f.read())
    return private, public


def generated_key(alg, jwk):
    """A key made by joserfc itself."""
    if alg.startswith("HS"):
        return jwk.OctKey.generate_key(int(alg[2:]))
    if alg[0] in "RP":
        return jwk.RSAKey.generate_key(2048)
    if alg in CURVES:
        return jwk.ECKey.generate_key(CURVES[alg])
    return jwk.OKPKey.generate_key("Ed25519")


def ours_to_theirs(binary, alg, prefix, jws, jwk, errors):
    private, public = keys_for(alg, prefix, jwk)
    r = run(binary, "sign", "--alg", alg, "--key", prefix + ".key", "--claims", json.dumps(CLAIMS), "--ttl", "300")
    if r.returncode != 0:
        fail(f"{alg}: our sign failed: {r.stderr}")
    token = r.stdout.strip()
    obj = jws.deserialize_compact(token, public, algorithms=[alg])
    got = json.loads(obj.payload)
    if obj.headers()["alg"] != alg or {k: got[k] for k in CLAIMS} != CLAIMS or got["exp"] - got["iat"] != 300:
        fail(f"{alg}: joserfc read {obj.headers()} {got}")
    for part in (1, 2):
        try:
            jws.deserialize_compact(tamper(token, part), public, algorithms=[alg])
            fail(f"{alg}: joserfc accepted our tampered token (part {part})")
        except errors.JoseError:
            pass
    return private


def theirs_to_ours(binary, alg, private, verify_key, jws):
    payload = json.dumps(CLAIMS, separators=(",", ":")).encode()
    token = jws.serialize_compact({"alg": alg, "typ": "JWT"}, payload, private, algorithms=[alg])
    r = run(binary, "verify", "--key", verify_key, token)
    if r.returncode != 0 or json.loads(r.stdout) != CLAIMS:
        fail(f"{alg}: our verify of joserfc's token: exit {r.returncode}, {r.stderr.strip()}")
    for part in (1, 2):
        r = run(binary, "verify", "--key", verify_key, tamper(token, part))
        lines = r.stderr.splitlines()
        if r.returncode != 1 or len(lines) != 1 or not lines[0].startswith("authbench: jwt verify: "):
            fail(f"{alg}: our verify of a tampered joserfc token: exit {r.returncode}, {r.stderr!r}")


def main():
    try:
        from joserfc import errors, jwk, jws
    except ImportError as e:
        fail(f"cannot import joserfc ({e}): this interoperability test needs it (pip install joserfc)")
    binary = os.environ.get("AUTHBENCH_BIN")
    if not binary or not os.access(binary, os.X_OK):
        fail(f"AUTHBENCH_BIN is not an executable: {binary!r}")
    with tempfile.TemporaryDirectory(prefix="authbench-interop-") as d:
        for alg in ALGS:
            prefix = os.path.join(d, alg)
            r = run(binary, "keygen", "--alg", alg, "--out", prefix)
            if r.returncode != 0:
                fail(f"{alg}: keygen failed: {r.stderr}")
            private = ours_to_theirs(binary, alg, prefix, jws, jwk, errors)
            theirs_to_ours(binary, alg, private, prefix + (".key" if alg.startswith("HS") else ".pub"), jws)
            key = generated_key(alg, jwk)
            path = os.path.join(d, alg + ".theirs.jwk")
            with open(path, "w") as f:
                json.dump(key.as_dict(private=alg.startswith("HS")), f)
            theirs_to_ours(binary, alg, key, path, jws)
            print(f"{alg}: ok (ours->joserfc, joserfc->ours with our key and with a joserfc JWK, tampering)")
    print(f"interop with joserfc: {len(ALGS)} algorithms ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
