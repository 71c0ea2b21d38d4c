// micro_store.cc — Google Benchmark over the session stores' C API: BM_store_get/<backend> and
// BM_store_create/<backend> for memory, file_pagecache (fsync=never), file_fsync (fsync=always) and
// redis (only when AUTHBENCH_REDIS_URL names a reachable server), plus BM_floor_file_read: a bare
// open/read/close of the same session file, the floor BM_store_get/file_pagecache is held against.
// Setup (stores, prepopulated sessions) happens outside the timed loop; every iteration checks
// that its operation succeeded and stops the benchmark with an error otherwise.
#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <ftw.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sstore.h"

namespace {

constexpr int kSessions = 1000;   // prepopulated for the get benchmarks
constexpr int64_t kTtlS = 3600;
constexpr size_t kClaimsBytes = 250; // a typical session: the JWT micro-benchmarks' typical token

// Claims of about kClaimsBytes: the same fields a JWT would carry.
std::string make_claims()
{
    std::string c = "{\"sub\":\"user-000042\",\"iss\":\"https://auth.example\",\"aud\":\"app\",\"iat\":1700000000,"
                    "\"exp\":1700003600,\"jti\":\"b4c1d2e3f4\",\"roles\":[\"user\",\"reader\"],\"pad\":\"";
    while (c.size() + 2 < kClaimsBytes)
        c += 'x';
    return c + "\"}";
}

// A store opened from a URI with one connection, closed on scope exit.
struct Store {
    sstore *st = nullptr;
    sstore_conn *c = nullptr;
    std::string error;

    explicit Store(const std::string &uri)
    {
        st = sstore_open(uri.c_str());
        if (st == nullptr || sstore_err(st) != SSTORE_OK) {
            error = st != nullptr ? sstore_errstr(st) : "out of memory";
            return;
        }
        c = sstore_connect(st);
        if (c == nullptr || sstore_conn_err(c) != SSTORE_OK)
            error = c != nullptr ? sstore_conn_errstr(c) : "out of memory";
    }
    ~Store()
    {
        sstore_conn_free(c);
        sstore_close(st);
    }
    Store(const Store &) = delete;
    Store &operator=(const Store &) = delete;
};

int remove_entry(const char *path, const struct stat *, int, struct FTW *)
{
    return remove(path);
}

// A fresh temporary directory for a file store, removed with everything in it on scope exit.
struct TempDir {
    std::string path;
    TempDir()
    {
        const char *base = std::getenv("TMPDIR");
        std::string tmpl = std::string(base != nullptr && *base ? base : "/tmp") + "/authbench-micro-XXXXXX";
        std::vector<char> buf(tmpl.begin(), tmpl.end());
        buf.push_back('\0');
        if (mkdtemp(buf.data()) != nullptr)
            path = buf.data();
    }
    ~TempDir()
    {
        if (!path.empty())
            nftw(path.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
};

// One backend to benchmark: its name in the benchmark's and the URI suffix after a temp dir
// (file stores) or the whole URI.
struct Backend {
    std::string name;
    std::string uri;  // complete URI, or the options after file://<tmpdir>
    bool file;
};

std::string uri_for(const Backend &b, const TempDir &dir)
{
    return b.file ? "file://" + dir.path + b.uri : b.uri;
}

// Counters per operation from the connection's I/O counters across the timed loop.
void report_io(benchmark::State &state, const sstore_counters &a, const sstore_counters &b)
{
    sstore_counters d;
    sstore_counters_diff(&a, &b, &d);
    double n = static_cast<double>(state.iterations());
    if (n <= 0)
        return;
    state.counters["syscalls_per_op"] = static_cast<double>(d.syscalls) / n;
    state.counters["round_trips_per_op"] = static_cast<double>(d.round_trips) / n;
    state.counters["net_bytes_in_per_op"] = static_cast<double>(d.net_bytes_in) / n;
    state.counters["disk_bytes_read_per_op"] = static_cast<double>(d.disk_bytes_read) / n;
    state.counters["fsyncs_per_op"] = static_cast<double>(d.fsyncs) / n;
}

// Creates kSessions sessions through s into ids. An empty string, or the error.
std::string populate(Store &s, const std::string &claims, std::vector<std::string> &ids)
{
    char id[SSTORE_ID_LEN + 1];
    if (!s.error.empty())
        return s.error;
    for (int k = 0; k < kSessions; k++) {
        if (sstore_create(s.c, claims.data(), claims.size(), kTtlS, id) != SSTORE_OK)
            return sstore_conn_errstr(s.c);
        ids.emplace_back(id);
    }
    return "";
}

void BM_store_get(benchmark::State &state, Backend b)
{
    TempDir dir;
    Store s(uri_for(b, dir));
    std::string claims = make_claims(), err;
    std::vector<std::string> ids;
    sstore_counters before, after;
    sstore_session sess;
    size_t i = 0;
    if (b.file) { // the same files whatever fsync says: written without it, to keep the setup short
        Store writer(uri_for({b.name, "?fsync=never", true}, dir));
        err = populate(writer, claims, ids);
    } else {
        err = populate(s, claims, ids);
    }
    if (!s.error.empty() || !err.empty())
        return state.SkipWithError((s.error.empty() ? err : s.error).c_str());
    sstore_conn_counters(s.c, &before);
    for (auto _ : state) {
        int st = sstore_get(s.c, ids[i++ % ids.size()].c_str(), &sess);
        if (st != SSTORE_OK || sess.data_len != claims.size()) {
            state.SkipWithError(st != SSTORE_OK ? sstore_conn_errstr(s.c) : "get returned other claims");
            break;
        }
        benchmark::DoNotOptimize(sess.data);
    }
    sstore_conn_counters(s.c, &after);
    state.SetItemsProcessed(state.iterations());
    state.counters["claims_bytes"] = static_cast<double>(claims.size());
    report_io(state, before, after);
}

void BM_store_create(benchmark::State &state, Backend b)
{
    TempDir dir;
    Store s(uri_for(b, dir));
    std::string claims = make_claims();
    char id[SSTORE_ID_LEN + 1];
    sstore_counters before, after;
    if (!s.error.empty())
        return state.SkipWithError(s.error.c_str());
    sstore_conn_counters(s.c, &before);
    for (auto _ : state) {
        if (sstore_create(s.c, claims.data(), claims.size(), kTtlS, id) != SSTORE_OK) {
            state.SkipWithError(sstore_conn_errstr(s.c));
            break;
        }
        benchmark::DoNotOptimize(id);
    }
    sstore_conn_counters(s.c, &after);
    state.SetItemsProcessed(state.iterations());
    report_io(state, before, after);
}

// The floor of a page-cache file get: open, read, close of the same session files BM_store_get/
// file_pagecache reads (written by the store in its layout, dir/<id[0]>/sess_<id>, and read in the
// same order), with nothing checked or parsed.
void BM_floor_file_read(benchmark::State &state)
{
    TempDir dir;
    Store s("file://" + dir.path + "?fsync=never");
    std::string claims = make_claims(), err;
    std::vector<std::string> ids, paths;
    char buf[4096];
    size_t i = 0;
    if (!(err = populate(s, claims, ids)).empty())
        return state.SkipWithError(err.c_str());
    for (const std::string &id : ids)
        paths.push_back(dir.path + "/" + id[0] + "/sess_" + id);
    for (auto _ : state) {
        int fd = open(paths[i++ % paths.size()].c_str(), O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
        if (fd < 0 || n <= static_cast<ssize_t>(claims.size()) || close(fd) != 0) {
            state.SkipWithError("bare open/read/close of a session file failed");
            break;
        }
        benchmark::DoNotOptimize(buf);
    }
    state.SetItemsProcessed(state.iterations());
}

// True when a Redis store at uri connects cleanly (the benchmark script starts one).
bool redis_reachable(const std::string &uri)
{
    Store s(uri);
    return s.error.empty();
}

// Registers every benchmark at start-up; the Redis ones only when AUTHBENCH_REDIS_URL answers.
int register_all()
{
    std::vector<Backend> backends = {
        {"memory", "memory://?ttl_sweep_ms=0", false},
        {"file_pagecache", "?fsync=never", true},
        {"file_fsync", "?fsync=always", true},
    };
    const char *redis = std::getenv("AUTHBENCH_REDIS_URL");
    if (redis != nullptr && *redis != '\0' && redis_reachable(redis))
        backends.push_back({"redis", redis, false});
    for (const Backend &b : backends) {
        benchmark::RegisterBenchmark(("BM_store_get/" + b.name).c_str(), BM_store_get, b);
        benchmark::RegisterBenchmark(("BM_store_create/" + b.name).c_str(), BM_store_create, b);
    }
    benchmark::RegisterBenchmark("BM_floor_file_read/file_pagecache", BM_floor_file_read);
    return 0;
}

[[maybe_unused]] const int registered = register_all();

} // namespace
