// micro_mech.cc — Google Benchmark micro-benchmarks of the mechanism layer (bench/mech, ab_mech.h):
// what authenticate() costs as the claims grow, and what the verified-token cache saves. A thin
// layer over the C API; every benchmark checks each call succeeded and reports an error (never a
// fast time) when one did not.
//
// Names (an interface, keep them stable):
//   BM_mech_verify/<ALG>/<claims bytes>   ab_mech_authenticate of jwt:<ALG>?claims=N (signature,
//                                         claims, principal), ALG HS256 | ES256 | RS256, N 300 | 1000
//                                         | 4000
//   BM_mech_session/memory/<claims bytes> ab_mech_authenticate of session:memory://?claims=N (lookup,
//                                         claims parsed as an app loads its session)
//   BM_mech_cache/<ALG>/hit               jwt:<ALG>?cache=1000&claims=1000, the same token again (in
//                                         the cache before the timing starts): a hash, a lookup and
//                                         a full compare, no signature check
//   BM_mech_cache/<ALG>/miss              jwt:<ALG>?cache=1&claims=1000 with two tokens taking turns:
//                                         every call misses, verifies and inserts (the cache's cost
//                                         on top of BM_mech_verify/<ALG>/1000)
// Counters: items_per_second, token_bytes; cache_hits_per_call for the cache benchmarks.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <unistd.h>

#include "ab_mech.h"
#include "ajwt.h"

namespace {

// The key files written, removed when the program ends.
struct KeyFiles {
    std::map<int, std::string> path;
    ~KeyFiles()
    {
        for (auto &p : path)
            if (!p.second.empty())
                unlink(p.second.c_str());
    }
};

// A private key file per algorithm, written once (ab_mech_open reads keys from files); "" and
// error set when it could not be made.
const std::string &key_file(ajwt_alg alg, std::string &error)
{
    static KeyFiles kf;
    std::map<int, std::string> &files = kf.path;
    auto it = files.find(alg);
    if (it != files.end())
        return it->second;
    unsigned char *priv = nullptr;
    char *pub = nullptr, err[256] = "";
    size_t pl = 0, ul = 0;
    std::string &path = files[alg];
    char tmpl[] = "/tmp/authbench-micro-mech-XXXXXX";
    int fd = -1;
    if (ajwt_keygen(alg, &priv, &pl, &pub, &ul, err, sizeof err) != AJWT_OK)
        error = err;
    else if ((fd = mkstemp(tmpl)) < 0 || write(fd, priv, pl) != static_cast<ssize_t>(pl))
        error = "cannot write a key file in /tmp";
    else
        path = tmpl;
    if (fd >= 0)
        close(fd);
    free(priv);
    free(pub);
    return path;
}

// A mechanism, one handle on it and credentials issued for "user00000042", or the error.
struct Mech {
    ab_mech *m = nullptr;
    ab_mech_ctx *c = nullptr;
    std::string error, cred[2];
    Mech(const std::string &spec, ajwt_alg alg)
    {
        std::string kerr;
        ab_mech_options o = {nullptr, 0};
        if (alg != AJWT_ALG_INVALID && (o.key_file = key_file(alg, kerr).c_str())[0] == '\0') {
            error = kerr;
            return;
        }
        m = ab_mech_open(spec.c_str(), &o);
        if (m == nullptr || ab_mech_err(m) != 0) {
            error = m ? ab_mech_errstr(m) : "out of memory";
            return;
        }
        c = ab_mech_ctx_new(m);
        for (int i = 0; i < 2 && c != nullptr && error.empty(); i++) {
            std::string buf(ab_mech_credential_max(m) + 1, '\0');
            size_t n = 0;
            if (ab_mech_issue(c, "user00000042", &buf[0], buf.size(), &n) != AB_MECH_OK)
                error = ab_mech_ctx_errstr(c);
            cred[i] = buf.substr(0, n);
        }
        if (c == nullptr)
            error = "out of memory";
    }
    ~Mech()
    {
        ab_mech_ctx_free(c);
        ab_mech_close(m);
    }
};

// Times ab_mech_authenticate over the credentials (taking turns when turns is 2).
void time_authenticate(benchmark::State &state, Mech &x, int turns)
{
    ab_mech_principal who;
    ab_mech_counters before, after;
    uint64_t i = 0;
    if (!x.error.empty())
        return state.SkipWithError(x.error.c_str());
    const std::string &warm = x.cred[turns == 2 ? 1 : 0]; // a /hit cache holds its token before the
    if (ab_mech_authenticate(x.c, warm.data(), warm.size(), &who) != AB_MECH_OK) // timing; /miss's
        return state.SkipWithError(ab_mech_ctx_errstr(x.c));           // holds the other one's
    ab_mech_ctx_counters(x.c, &before);
    for (auto _ : state) {
        const std::string &cred = x.cred[turns == 2 ? i++ & 1 : 0];
        int st = ab_mech_authenticate(x.c, cred.data(), cred.size(), &who);
        if (st != AB_MECH_OK) {
            state.SkipWithError(ab_mech_ctx_errstr(x.c));
            break;
        }
        benchmark::DoNotOptimize(who.sub[0]);
    }
    ab_mech_ctx_counters(x.c, &after);
    state.SetItemsProcessed(state.iterations());
    state.counters["token_bytes"] = static_cast<double>(x.cred[0].size());
    if (x.m != nullptr && ab_mech_settings_of(x.m)->cache_size > 0)
        state.counters["cache_hits_per_call"] =
            state.iterations() ? static_cast<double>(after.cache_hits - before.cache_hits) / state.iterations() : 0;
}

void BM_mech_verify(benchmark::State &state, ajwt_alg alg, int claims)
{
    Mech x(std::string("jwt:") + ajwt_alg_name(alg) + "?claims=" + std::to_string(claims), alg);
    time_authenticate(state, x, 1);
}

void BM_mech_session(benchmark::State &state, int claims)
{
    Mech x("session:memory://?ttl_sweep_ms=0&claims=" + std::to_string(claims), AJWT_ALG_INVALID);
    time_authenticate(state, x, 1);
}

void BM_mech_cache(benchmark::State &state, ajwt_alg alg, int hit)
{
    Mech x(std::string("jwt:") + ajwt_alg_name(alg) + (hit ? "?cache=1000" : "?cache=1") + "&claims=1000", alg);
    time_authenticate(state, x, hit ? 1 : 2);
}

int register_all()
{
    static const ajwt_alg algs[] = {AJWT_HS256, AJWT_ES256, AJWT_RS256};
    static const int sizes[] = {300, 1000, 4000};
    for (ajwt_alg alg : algs) {
        std::string name = ajwt_alg_name(alg);
        for (int n : sizes)
            benchmark::RegisterBenchmark(("BM_mech_verify/" + name + "/" + std::to_string(n)).c_str(),
                                         BM_mech_verify, alg, n);
        benchmark::RegisterBenchmark(("BM_mech_cache/" + name + "/hit").c_str(), BM_mech_cache, alg, 1);
        benchmark::RegisterBenchmark(("BM_mech_cache/" + name + "/miss").c_str(), BM_mech_cache, alg, 0);
    }
    for (int n : sizes)
        benchmark::RegisterBenchmark(("BM_mech_session/memory/" + std::to_string(n)).c_str(), BM_mech_session, n);
    return 0;
}

[[maybe_unused]] const int registered = register_all();

} // namespace
