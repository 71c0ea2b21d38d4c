// micro_jwt.cc — Google Benchmark micro-benchmarks of the JWT library, the bare OpenSSL floor under
// it, and libjwt as a peer. A thin layer over the C API; every benchmark checks that its operation
// succeeded and reports an error (never a fast time) when it did not.
//
// Names (an interface, keep them stable):
//   BM_jwt_verify/<ALG>/<typical|large>   ajwt_verify: format, header, signature and claims (iss, aud,
//                                         exp, nbf, iat) of a token with ~250 B or ~2 KiB of claims
//   BM_jwt_sign/<ALG>/<typical|large>     ajwt_sign of the same claims
//   BM_floor_verify/<ALG>                 the bare OpenSSL operation on the typical token's signing
//                                         input and signature, every context prepared outside the loop:
//                                         HS: HMAC with a reused EVP_MAC_CTX + CRYPTO_memcmp; RS/PS/ES:
//                                         digest + EVP_PKEY_verify on a prepared EVP_PKEY_CTX (ES with the
//                                         DER signature made outside the loop); EdDSA: EVP_DigestVerify
//   BM_peer_libjwt_verify/<ALG>           libjwt 1.10 jwt_decode (decode + signature; libjwt 1.10 checks
//                                         no claims) of the same typical token, key prepared outside the
//                                         loop. libjwt 1.10 has no PS* and no EdDSA: only HS*, RS*, ES*.
//   BM_b64url_decode/<bytes>              strict base64url decode of <bytes> decoded bytes
//   BM_claims_parse/<typical|large>       ajwt_verify_claims: strict JSON parse + claim rules
// Counters: items_per_second (SetItemsProcessed), token_bytes.
// Results are checked before they go through DoNotOptimize: with GCC 12, benchmark 1.7's "+r,m" asm
// constraint can hand a checked variable back clobbered, which made valid runs report errors.
#include <benchmark/benchmark.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ajwt.h"
#ifdef AUTHBENCH_WITH_LIBJWT
#include <jwt.h>
#endif

namespace {

constexpr int64_t kNow = 1795946400; // 2026-11-29T10:00:00Z, the benchmark's fixed clock
const char kIssuer[] = "https://auth.authbench.example";
const char kAudience[] = "authbench-api";

int64_t fixed_clock(void *) { return kNow; }

// Claims like a login issues: ~250 bytes, or ~2 KiB with a permissions list.
std::string make_claims(bool large)
{
    std::string c = "{\"sub\":\"user-000123\",\"iss\":\"https://auth.authbench.example\",\"aud\":\"authbench-api\","
                    "\"iat\":1795946000,\"nbf\":1795946000,\"exp\":1795949600,"
                    "\"jti\":\"0f8c2a9e-5b1d-4c7e-9a3f-2d6b8e1f4a70\",\"roles\":[\"user\",\"reader\"],"
                    "\"tenant\":\"acme\",\"scope\":\"read write profile\"";
    if (large) {
        c += ",\"permissions\":[";
        for (int i = 0; c.size() < 2000; i++)
            c += std::string(i ? "," : "") + "\"resource-" + std::to_string(i) + ":read\"";
        c += "]";
    }
    return c + "}";
}

std::vector<unsigned char> b64_decode(const std::string &s)
{
    std::vector<unsigned char> out(s.size());
    size_t n = 0;
    if (ajwt_b64url_decode(s.data(), s.size(), out.data(), out.size(), &n) != AJWT_OK)
        out.clear();
    else
        out.resize(n);
    return out;
}

// Keys, signer, verifier and tokens for one algorithm; built once, on first use, outside any timing.
struct AlgSetup {
    ajwt_alg alg = AJWT_ALG_INVALID;
    std::string error;
    std::vector<unsigned char> priv; // secret or PKCS#8 PEM
    std::string pub;                 // SPKI PEM ("" for HS*)
    ajwt_keyset *sign_ks = nullptr, *verify_ks = nullptr;
    ajwt_signer *signer = nullptr;
    ajwt_verifier *verifier = nullptr;
    std::string claims[2], token[2];

    ~AlgSetup()
    {
        ajwt_verifier_free(verifier);
        ajwt_signer_free(signer);
        ajwt_keyset_free(sign_ks);
        ajwt_keyset_free(verify_ks);
    }
    bool is_hmac() const { return alg <= AJWT_HS512; }
};

// One RSA key for RS* and PS*, as a real deployment would have.
bool generate_key(ajwt_alg alg, std::vector<unsigned char> &priv, std::string &pub, std::string &error)
{
    static std::vector<unsigned char> rsa_priv;
    static std::string rsa_pub;
    bool rsa = alg >= AJWT_RS256 && alg <= AJWT_PS512;
    unsigned char *p = nullptr;
    char *u = nullptr, err[256] = "";
    size_t pl = 0, ul = 0;
    if (rsa && !rsa_priv.empty()) {
        priv = rsa_priv;
        pub = rsa_pub;
        return true;
    }
    if (ajwt_keygen(rsa ? AJWT_RS256 : alg, &p, &pl, &u, &ul, err, sizeof err) != AJWT_OK) {
        error = err;
        return false;
    }
    priv.assign(p, p + pl);
    pub = u ? std::string(u, ul) : std::string();
    free(p);
    free(u);
    if (rsa) {
        rsa_priv = priv;
        rsa_pub = pub;
    }
    return true;
}

bool build(AlgSetup &s)
{
    int rc;
    if (!generate_key(s.alg, s.priv, s.pub, s.error))
        return false;
    s.sign_ks = ajwt_keyset_new();
    s.verify_ks = ajwt_keyset_new();
    if (s.is_hmac()) {
        ajwt_keyset_add_secret(s.sign_ks, s.priv.data(), s.priv.size(), "bench");
        rc = ajwt_keyset_add_secret(s.verify_ks, s.priv.data(), s.priv.size(), "bench");
    } else {
        ajwt_keyset_add_pem(s.sign_ks, reinterpret_cast<const char *>(s.priv.data()), s.priv.size(), "bench");
        rc = ajwt_keyset_add_pem(s.verify_ks, s.pub.data(), s.pub.size(), "bench");
    }
    s.signer = ajwt_signer_new(s.sign_ks, s.alg, nullptr);
    s.verifier = ajwt_verifier_new(s.verify_ks);
    if (rc != AJWT_OK || ajwt_signer_err(s.signer) != AJWT_OK) {
        s.error = rc != AJWT_OK ? ajwt_keyset_errstr(s.verify_ks) : ajwt_signer_errstr(s.signer);
        return false;
    }
    ajwt_verifier_set_issuer(s.verifier, kIssuer);
    ajwt_verifier_set_audience(s.verifier, kAudience);
    ajwt_verifier_set_leeway(s.verifier, 30);
    ajwt_verifier_set_clock(s.verifier, fixed_clock, nullptr);
    for (int i = 0; i < 2; i++) {
        s.claims[i] = make_claims(i == 1);
        std::string buf(ajwt_sign_bound(s.signer, s.claims[i].size()) + 1, '\0');
        size_t n = 0;
        if (ajwt_sign(s.signer, s.claims[i].data(), s.claims[i].size(), &buf[0], buf.size(), &n) != AJWT_OK) {
            s.error = "sign failed";
            return false;
        }
        s.token[i] = buf.substr(0, n);
    }
    return true;
}

AlgSetup &setup_for(ajwt_alg alg)
{
    static std::map<ajwt_alg, std::unique_ptr<AlgSetup>> cache;
    auto &slot = cache[alg];
    if (!slot) {
        slot.reset(new AlgSetup);
        slot->alg = alg;
        if (!build(*slot) && slot->error.empty())
            slot->error = "setup failed";
    }
    return *slot;
}

// ---- the library ----

// Times op(c) on a fresh vctx of v; op returns an ajwt code, checked once before and every iteration.
template <class Op>
void time_vctx(benchmark::State &state, const ajwt_verifier *v, size_t bytes, Op op)
{
    ajwt_vctx *c = ajwt_vctx_new(v);
    if (op(c) != AJWT_OK) {
        state.SkipWithError(ajwt_vctx_errstr(c));
        ajwt_vctx_free(c);
        return;
    }
    for (auto _ : state) {
        int rc = op(c);
        if (rc != AJWT_OK) {
            state.SkipWithError(ajwt_vctx_errstr(c));
            break;
        }
        benchmark::DoNotOptimize(rc);
    }
    ajwt_vctx_free(c);
    state.SetItemsProcessed(state.iterations());
    state.counters["token_bytes"] = static_cast<double>(bytes);
}

void BM_jwt_verify(benchmark::State &state, ajwt_alg alg, int large)
{
    AlgSetup &s = setup_for(alg);
    if (!s.error.empty())
        return state.SkipWithError(s.error.c_str());
    const std::string &tok = s.token[large];
    time_vctx(state, s.verifier, tok.size(), [&tok](ajwt_vctx *c) { return ajwt_verify(c, tok.data(), tok.size()); });
}

void BM_jwt_sign(benchmark::State &state, ajwt_alg alg, int large)
{
    AlgSetup &s = setup_for(alg);
    if (!s.error.empty())
        return state.SkipWithError(s.error.c_str());
    const std::string &claims = s.claims[large];
    std::string out(ajwt_sign_bound(s.signer, claims.size()) + 1, '\0');
    size_t n = 0;
    for (auto _ : state) {
        int rc = ajwt_sign(s.signer, claims.data(), claims.size(), &out[0], out.size(), &n);
        if (rc != AJWT_OK) {
            state.SkipWithError("ajwt_sign failed");
            break;
        }
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["token_bytes"] = static_cast<double>(n);
}

// ---- the floor: bare OpenSSL on the same input and signature ----

struct Floor {
    std::string input;              // the typical token's signing input
    std::vector<unsigned char> sig; // its signature (DER for ECDSA)
    EVP_PKEY *pkey = nullptr;
    EVP_PKEY_CTX *pctx = nullptr;
    EVP_MD_CTX *mdctx = nullptr;
    EVP_MD *md = nullptr;
    EVP_MAC *mac = nullptr;
    EVP_MAC_CTX *macctx = nullptr;
    ~Floor()
    {
        EVP_MAC_CTX_free(macctx);
        EVP_MAC_free(mac);
        EVP_MD_free(md);
        EVP_MD_CTX_free(mdctx);
        EVP_PKEY_CTX_free(pctx);
        EVP_PKEY_free(pkey);
    }
};

const char *md_name(ajwt_alg alg)
{
    switch (alg) {
    case AJWT_HS384: case AJWT_RS384: case AJWT_PS384: case AJWT_ES384: return "SHA384";
    case AJWT_HS512: case AJWT_RS512: case AJWT_PS512: case AJWT_ES512: return "SHA512";
    default: return "SHA256";
    }
}

// JWS R||S -> DER, with OpenSSL's own encoder.
std::vector<unsigned char> ecdsa_der(const std::vector<unsigned char> &raw)
{
    size_t n = raw.size() / 2;
    ECDSA_SIG *es = ECDSA_SIG_new();
    std::vector<unsigned char> der;
    unsigned char *p = nullptr;
    if (es && ECDSA_SIG_set0(es, BN_bin2bn(raw.data(), (int)n, nullptr), BN_bin2bn(raw.data() + n, (int)n, nullptr))) {
        int len = i2d_ECDSA_SIG(es, &p);
        if (len > 0)
            der.assign(p, p + len);
    }
    OPENSSL_free(p);
    ECDSA_SIG_free(es);
    return der;
}

bool floor_prepare_pkey(Floor &f, ajwt_alg alg, const std::string &pub)
{
    BIO *b = BIO_new_mem_buf(pub.data(), (int)pub.size());
    f.pkey = b ? PEM_read_bio_PUBKEY(b, nullptr, nullptr, nullptr) : nullptr;
    BIO_free(b);
    f.mdctx = EVP_MD_CTX_new();
    if (!f.pkey || !f.mdctx)
        return false;
    if (alg >= AJWT_EDDSA)
        return EVP_DigestVerifyInit_ex(f.mdctx, nullptr, nullptr, nullptr, nullptr, f.pkey, nullptr) == 1;
    f.md = EVP_MD_fetch(nullptr, md_name(alg), nullptr);
    f.pctx = EVP_PKEY_CTX_new_from_pkey(nullptr, f.pkey, nullptr);
    if (!f.md || !f.pctx || EVP_PKEY_verify_init(f.pctx) <= 0 || EVP_PKEY_CTX_set_signature_md(f.pctx, f.md) <= 0)
        return false;
    if (alg >= AJWT_RS256 && alg <= AJWT_PS512 &&
        EVP_PKEY_CTX_set_rsa_padding(f.pctx, alg >= AJWT_PS256 ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) <= 0)
        return false;
    if (alg >= AJWT_PS256 && alg <= AJWT_PS512 &&
        (EVP_PKEY_CTX_set_rsa_pss_saltlen(f.pctx, RSA_PSS_SALTLEN_DIGEST) <= 0 ||
         EVP_PKEY_CTX_set_rsa_mgf1_md(f.pctx, f.md) <= 0))
        return false;
    if (alg >= AJWT_ES256 && alg <= AJWT_ES512)
        f.sig = ecdsa_der(f.sig);
    return !f.sig.empty();
}

bool floor_prepare(Floor &f, AlgSetup &s)
{
    const std::string &tok = s.token[0];
    size_t dot = tok.rfind('.');
    f.input = tok.substr(0, dot);
    f.sig = b64_decode(tok.substr(dot + 1));
    if (f.sig.empty())
        return false;
    if (!s.is_hmac())
        return floor_prepare_pkey(f, s.alg, s.pub);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char *>(md_name(s.alg)), 0),
                           OSSL_PARAM_construct_end()};
    f.mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    f.macctx = f.mac ? EVP_MAC_CTX_new(f.mac) : nullptr;
    return f.macctx && EVP_MAC_init(f.macctx, s.priv.data(), s.priv.size(), params) == 1;
}

// One bare verification; 1 when the signature holds.
int floor_once(Floor &f, ajwt_alg alg)
{
    const unsigned char *in = reinterpret_cast<const unsigned char *>(f.input.data());
    unsigned char dg[EVP_MAX_MD_SIZE];
    size_t n = 0;
    unsigned int dl = 0;
    if (alg <= AJWT_HS512)
        return EVP_MAC_init(f.macctx, nullptr, 0, nullptr) && EVP_MAC_update(f.macctx, in, f.input.size()) &&
               EVP_MAC_final(f.macctx, dg, &n, sizeof dg) && n == f.sig.size() &&
               CRYPTO_memcmp(dg, f.sig.data(), n) == 0;
    if (alg >= AJWT_EDDSA)
        return EVP_DigestVerify(f.mdctx, f.sig.data(), f.sig.size(), in, f.input.size()) == 1;
    return EVP_DigestInit_ex2(f.mdctx, f.md, nullptr) && EVP_DigestUpdate(f.mdctx, in, f.input.size()) &&
           EVP_DigestFinal_ex(f.mdctx, dg, &dl) && EVP_PKEY_verify(f.pctx, f.sig.data(), f.sig.size(), dg, dl) == 1;
}

void BM_floor_verify(benchmark::State &state, ajwt_alg alg)
{
    AlgSetup &s = setup_for(alg);
    if (!s.error.empty())
        return state.SkipWithError(s.error.c_str());
    Floor f;
    if (!floor_prepare(f, s) || !floor_once(f, alg))
        return state.SkipWithError("floor setup or first verification failed");
    for (auto _ : state) {
        int ok = floor_once(f, alg);
        if (!ok) {
            state.SkipWithError("bare OpenSSL verification failed");
            break;
        }
        benchmark::DoNotOptimize(ok);
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["token_bytes"] = static_cast<double>(s.token[0].size());
}

#ifdef AUTHBENCH_WITH_LIBJWT
// ---- the peer: libjwt 1.10 ----

void BM_peer_libjwt_verify(benchmark::State &state, ajwt_alg alg)
{
    AlgSetup &s = setup_for(alg);
    if (!s.error.empty())
        return state.SkipWithError(s.error.c_str());
    const std::string &tok = s.token[0];
    const unsigned char *key = s.is_hmac() ? s.priv.data() : reinterpret_cast<const unsigned char *>(s.pub.data());
    int key_len = static_cast<int>(s.is_hmac() ? s.priv.size() : s.pub.size());
    jwt_t *j = nullptr;
    if (jwt_decode(&j, tok.c_str(), key, key_len) != 0 || j == nullptr || jwt_get_alg(j) == JWT_ALG_NONE) {
        jwt_free(j);
        return state.SkipWithError("libjwt jwt_decode failed on a valid token");
    }
    jwt_free(j);
    for (auto _ : state) {
        j = nullptr;
        int rc = jwt_decode(&j, tok.c_str(), key, key_len);
        jwt_free(j);
        if (rc != 0) {
            state.SkipWithError("libjwt jwt_decode failed");
            break;
        }
        benchmark::DoNotOptimize(rc);
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["token_bytes"] = static_cast<double>(tok.size());
}
#endif

// ---- primitives ----

void BM_b64url_decode(benchmark::State &state)
{
    size_t bytes = static_cast<size_t>(state.range(0));
    std::vector<unsigned char> raw(bytes), out(bytes + 3);
    for (size_t i = 0; i < bytes; i++)
        raw[i] = static_cast<unsigned char>(i * 131 + 7);
    std::string enc(AJWT_B64URL_ENCODED_LEN(bytes) + 1, '\0');
    size_t el = 0, n = 0;
    ajwt_b64url_encode(raw.data(), bytes, &enc[0], enc.size(), &el);
    for (auto _ : state) {
        int rc = ajwt_b64url_decode(enc.data(), el, out.data(), out.size(), &n);
        if (rc != AJWT_OK || n != bytes) {
            state.SkipWithError("decode failed");
            break;
        }
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
}

void BM_claims_parse(benchmark::State &state, int large)
{
    AlgSetup &s = setup_for(AJWT_HS256);
    if (!s.error.empty())
        return state.SkipWithError(s.error.c_str());
    const std::string &claims = s.claims[large];
    time_vctx(state, s.verifier, claims.size(),
              [&claims](ajwt_vctx *c) { return ajwt_verify_claims(c, claims.data(), claims.size()); });
}

int register_all()
{
    static const char *const sizes[2] = {"typical", "large"};
    for (int a = AJWT_HS256; a < AJWT_ALG_COUNT; a++) {
        ajwt_alg alg = static_cast<ajwt_alg>(a);
        std::string name = ajwt_alg_name(alg);
        for (int l = 0; l < 2; l++) {
            benchmark::RegisterBenchmark(("BM_jwt_verify/" + name + "/" + sizes[l]).c_str(), BM_jwt_verify, alg, l);
            benchmark::RegisterBenchmark(("BM_jwt_sign/" + name + "/" + sizes[l]).c_str(), BM_jwt_sign, alg, l);
        }
        benchmark::RegisterBenchmark(("BM_floor_verify/" + name).c_str(), BM_floor_verify, alg);
#ifdef AUTHBENCH_WITH_LIBJWT
        if (alg < AJWT_PS256 || (alg >= AJWT_ES256 && alg <= AJWT_ES512)) // libjwt 1.10: HS, RS, ES only
            benchmark::RegisterBenchmark(("BM_peer_libjwt_verify/" + name).c_str(), BM_peer_libjwt_verify, alg);
#endif
    }
    benchmark::RegisterBenchmark("BM_b64url_decode", BM_b64url_decode)->Arg(64)->Arg(256)->Arg(1024)->Arg(4096);
    benchmark::RegisterBenchmark("BM_claims_parse/typical", BM_claims_parse, 0);
    benchmark::RegisterBenchmark("BM_claims_parse/large", BM_claims_parse, 1);
    return 0;
}

[[maybe_unused]] const int registered = register_all();

} // namespace
