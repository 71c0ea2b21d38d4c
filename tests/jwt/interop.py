#!/usr/bin/env python3
"""interop.py — `authbench jwt` against an independent JOSE implementation (Python jwcrypto), both ways.

The peer is jwcrypto, as Debian 12 packages it (python3-jwcrypto 1.1.0, which scripts/setup.sh
installs; joserfc, the peer before it, is not packaged there). For every algorithm both support:
our keygen + sign, jwcrypto verifies; jwcrypto signs with the same key and our verify accepts;
jwcrypto's own keys, exported as a JWK and (asymmetric ones) as a PEM public key, verify with us;
a tampered payload or signature is rejected by both.

Not covered: "Ed25519", the fully-specified EdDSA identifier of RFC 9864 (2025), which jwcrypto
1.1.0 does not know; the same Ed25519 signatures are covered under "EdDSA". Should the installed
jwcrypto know it, it is tested too. Fails (exit 1), never skips, when jwcrypto cannot be imported,
lacks one of the other 13 algorithms, or AUTHBENCH_BIN is not set.
"""
import json
import os
import subprocess
import sys
import tempfile

ALGS = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
        "ES256", "ES384", "ES512", "EdDSA", "Ed25519"]
UNSUPPORTED = {"Ed25519": "RFC 9864's fully-specified EdDSA name, newer than jwcrypto 1.1.0"}
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


def peer_verify(jose, token, key, alg):
    """jwcrypto's verdict on token under key, alg alone allowed: (header, claims), or raises JWException."""
    obj = jose.jws.JWS()
    obj.deserialize(token)
    obj.allowed_algs = [alg]
    obj.verify(key, alg=alg)
    return obj.jose_header, json.loads(obj.payload)


def peer_sign(jose, key, alg):
    obj = jose.jws.JWS(json.dumps(CLAIMS, separators=(",", ":")).encode())
    obj.allowed_algs = [alg]
    obj.add_signature(key, protected=json.dumps({"alg": alg, "typ": "JWT"}))
    return obj.serialize(compact=True)


def keys_for(jose, alg, prefix):
    """jwcrypto keys (signing, verifying) for the files our keygen wrote (a JWK for HMAC, else PEM)."""
    if alg.startswith("HS"):
        with open(prefix + ".key") as f:
            key = jose.jwk.JWK(**json.load(f))
        return key, key
    with open(prefix + ".key", "rb") as f:
        private = jose.jwk.JWK.from_pem(f.read())
    with open(prefix + ".pub", "rb") as f:
        public = jose.jwk.JWK.from_pem(f.read())
    return private, public


def generated_key(jose, alg):
    """A key made by jwcrypto itself."""
    if alg.startswith("HS"):
        return jose.jwk.JWK.generate(kty="oct", size=int(alg[2:]))
    if alg[0] in "RP":
        return jose.jwk.JWK.generate(kty="RSA", size=2048)
    if alg in CURVES:
        return jose.jwk.JWK.generate(kty="EC", crv=CURVES[alg])
    return jose.jwk.JWK.generate(kty="OKP", crv="Ed25519")


def ours_to_theirs(jose, binary, alg, prefix):
    private, public = keys_for(jose, alg, prefix)
    r = run(binary, "sign", "--alg", alg, "--key", prefix + ".key", "--claims", json.dumps(CLAIMS), "--ttl", "300")
    if r.returncode != 0:
        fail(f"{alg}: our sign failed: {r.stderr}")
    token = r.stdout.strip()
    try:
        header, got = peer_verify(jose, token, public, alg)
    except jose.JWException as e:
        fail(f"{alg}: jwcrypto rejected our token: {e!r}")
    if header["alg"] != alg or {k: got[k] for k in CLAIMS} != CLAIMS or got["exp"] - got["iat"] != 300:
        fail(f"{alg}: jwcrypto read {header} {got}")
    for part in (1, 2):
        try:
            peer_verify(jose, tamper(token, part), public, alg)
        except jose.JWException:
            continue
        fail(f"{alg}: jwcrypto accepted our tampered token (part {part})")
    return private


def theirs_to_ours(jose, binary, alg, private, verify_key):
    token = peer_sign(jose, private, alg)
    r = run(binary, "verify", "--key", verify_key, token)
    if r.returncode != 0 or json.loads(r.stdout) != CLAIMS:
        fail(f"{alg}: our verify of jwcrypto's token ({os.path.basename(verify_key)}): "
             f"exit {r.returncode}, {r.stderr.strip()}")
    for part in (1, 2):
        r = run(binary, "verify", "--key", verify_key, tamper(token, part))
        lines = r.stderr.splitlines()
        if r.returncode != 1 or len(lines) != 1 or not lines[0].startswith("authbench: jwt verify: "):
            fail(f"{alg}: our verify of a tampered jwcrypto token: exit {r.returncode}, {r.stderr!r}")


def theirs_exported(jose, binary, alg, d):
    """jwcrypto's own key, exported as a JWK (the secret for HMAC) and as a PEM public key, verifies with us."""
    key = generated_key(jose, alg)
    hmac = alg.startswith("HS")
    path = os.path.join(d, alg + ".theirs.jwk")
    with open(path, "w") as f:
        f.write(key.export_symmetric() if hmac else key.export_public())
    theirs_to_ours(jose, binary, alg, key, path)
    if not hmac:
        path = os.path.join(d, alg + ".theirs.pem")
        with open(path, "wb") as f:
            f.write(key.export_to_pem(private_key=False))
        theirs_to_ours(jose, binary, alg, key, path)


def import_peer():
    try:
        import jwcrypto
        from jwcrypto import common, jwk, jws
    except ImportError as e:
        fail(f"cannot import jwcrypto ({e}) into {sys.executable}: this interoperability test needs it "
             "(scripts/setup.sh installs Debian's python3-jwcrypto)")
    jose = type("jose", (), {"jwk": jwk, "jws": jws, "JWException": common.JWException})
    supported = set(jws.default_allowed_algs)
    lacking = [a for a in ALGS if a not in supported and a not in UNSUPPORTED]
    if lacking:
        fail(f"jwcrypto {getattr(jwcrypto, '__version__', '?')} lacks {lacking}")
    return jose, [a for a in ALGS if a in supported]


def main():
    jose, algs = import_peer()
    binary = os.environ.get("AUTHBENCH_BIN")
    if not binary or not os.access(binary, os.X_OK):
        fail(f"AUTHBENCH_BIN is not an executable: {binary!r}")
    with tempfile.TemporaryDirectory(prefix="authbench-interop-") as d:
        for alg in algs:
            prefix = os.path.join(d, alg)
            r = run(binary, "keygen", "--alg", alg, "--out", prefix)
            if r.returncode != 0:
                fail(f"{alg}: keygen failed: {r.stderr}")
            private = ours_to_theirs(jose, binary, alg, prefix)
            theirs_to_ours(jose, binary, alg, private, prefix + (".key" if alg.startswith("HS") else ".pub"))
            theirs_exported(jose, binary, alg, d)
            print(f"{alg}: ok (ours->jwcrypto, jwcrypto->ours with our key and with jwcrypto's, tampering)")
    for alg in ALGS:
        if alg not in algs:
            print(f"{alg}: not tested, jwcrypto does not support it ({UNSUPPORTED[alg]})")
    print(f"interop with jwcrypto: {len(algs)} of {len(ALGS)} algorithms ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
