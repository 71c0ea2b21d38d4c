/* scenario_builtin.c — the built-in scenarios: "quick" (within four minutes on a 2-core machine) and
 * "default" (the decision-grade matrix of issues 5 and 14). Both go through the same parser as a
 * user's file. */
#include "run_scenario.h"

#include <stdio.h>
#include <string.h>

/* Servers run the async model (an event loop per core, a non-blocking pipelined store client), so
 * server_threads is the machine's core count here (2): a store wait never holds up another
 * connection, and more loops than cores would only contend.
 *
 * Quick: within four minutes after the build on two cores, by trading length for repetitions
 * (3 interleaved rounds of 1 s windows, so every figure has a 95 % interval). Every option of the
 * decision is measured twice: closed loop for its capacity, and open loop at the deployment's
 * per-server rate (the default drivers: 5,000 req/s over 4 servers) for its latency at the load it
 * will run; Redis sessions at 0 and 250 us with the proxied 0-delay control, PostgreSQL and Memcached
 * sessions (the run's own servers) at 250 us, so every option is measured at the drivers' distance
 * and the report's one estimation rule is the measured deployment cell; one small sweep (Redis
 * sessions at 250 us) for the latency-vs-throughput knee; the asymmetric denylist and the pushed
 * denylist (ES256, the algorithm class the report compares) at 250 us with their controls; an ES256
 * token over the 4,096-byte cookie limit (claims=4000); the store outage at the deployment's rate
 * (3 rounds too) in ES256 like the options it is evidence for, the denylist hybrid failing open through it. The micro-benchmarks are limited
 * to what the report charts (typical-token sign/verify, the OpenSSL floor, libjwt). */
static const char quick_json[] =
    "{\n"
    "  \"name\": \"quick\",\n"
    "  \"description\": \"A first look: capacity and latency at the deployment's rate for every option, 3 interleaved rounds of 1 s.\",\n"
    "  \"deployment\": {\"peak_rate_per_sec\": 5000, \"servers\": 4},\n"
    "  \"slo_p99_ms\": 5,\n"
    "  \"store_capacity\": {\"clients\": 50, \"duration\": \"1s\"},\n"
    "  \"micro\": {\"min_time\": \"0.01s\", \"repetitions\": 3,\n"
    "            \"filter\": \"typical|floor_verify|peer_libjwt\"},\n"
    "  \"defaults\": {\"servers\": 1, \"lb\": \"rr\", \"connections\": 8, \"users\": 500,\n"
    "               \"key_dist\": \"zipf:0.99\", \"mix\": \"read\", \"duration\": \"1s\", \"warmup\": \"0.5s\",\n"
    "               \"repetitions\": 3, \"threads\": 1, \"server_threads\": 2, \"open_loop\": true},\n"
    "  \"groups\": [\n"
    "    {\"mechanisms\": [\"none\", \"jwt:HS256\", \"jwt:RS256\", \"jwt:ES256\", \"jwt:ES256?claims=4000\"]},\n"
    "    {\"mechanisms\": [\"session:memory\"], \"lb\": \"sticky\"},\n"
    "    {\"mechanisms\": [\"session:redis\"], \"store_delay\": \"0\"},\n"
    "    {\"mechanisms\": [\"session:postgres\", \"session:memcached\"], \"store_delay\": \"250us\"},\n"
    "    {\"mechanisms\": [\"session:redis\"], \"store_delay\": \"250us\", \"controls\": true,\n"
    "     \"sweep\": [0.25, 0.5, 0.9]},\n"
    "    {\"mechanisms\": [\"jwt+denylist:ES256,redis\", \"jwt+pushed-denylist:ES256,redis\"],\n"
    "     \"store_delay\": \"250us\", \"controls\": true},\n"
    "    {\"mechanisms\": [\"none\", \"jwt:HS256\", \"session:redis\"], \"servers\": 2, \"open_loop\": false},\n"
    "    {\"mechanisms\": [\"session:redis\", \"jwt:ES256\", \"jwt+denylist:ES256,redis?on_store_error=open\"],\n"
    "     \"fault\": \"store-outage\", \"fault_at\": \"1s\", \"duration\": \"3s\", \"open_loop\": false,\n"
    "     \"repetitions\": 3}\n"
    "  ]\n"
    "}\n";

/* The decision-grade matrix: five interleaved rounds of 5 s windows, so every figure has a 95 %
 * interval over five repetitions. Every mechanism at 1, 2 and 4 servers, closed loop (capacity)
 * and open loop at the deployment's per-server rate (the latency the decision uses); rate sweeps
 * (10 % to 90 % of capacity) for none, HS256, ES256, memory sessions and Redis sessions at 0 and
 * 250 us at one server, so the report draws their latency-vs-throughput curves and capacity at the
 * SLO; Redis sessions at 0, 250 us and 1 ms with the proxied 0-delay control; the file store in
 * its three modes, fsync included, in the comparison, and under churn (logins, logouts, touches:
 * the disk write path, with device bytes and fsyncs per request); Redis Cluster; the pool server
 * model at 250 us; the login-heavy mix at one server; and the faults at the deployment's rate, three
 * rounds each, so their outcomes have intervals too: through the store outage every option that
 * touches the store (the session, the denylist hybrid failing closed and failing open, the pushed
 * denylist, the session L1 cache, the refresh flow) beside those that do not (the ES256 JWT and its
 * verified-token cache), so the report says which keep serving and what revocations they miss. The session stores frameworks ship: PostgreSQL and Memcached at 0 and 250 us (with the
 * control at one server, at 1, 2 and 4 servers), rolling expiry (touch=always) for PostgreSQL and
 * Redis. The hybrids: the asymmetric denylist (ES256) with its control, the pushed denylist, a
 * session L1 cache (l1=1s) and the refresh flow (60 s access tokens) at 250 us; the verified-token
 * cache; and a token-size sweep (ES256 claims of ~300, 1,000 and 4,000 bytes, a 4,000-byte session).
 * A store at production size through its sweep: PostgreSQL and Redis sessions at one server holding
 * 100,000 live sessions and 100,000 expired ones, swept 2 s into the window (PostgreSQL's DELETE of
 * expired rows, Redis's own expiry), open loop at the deployment's rate, three rounds (the fill of
 * 200,000 sessions is every repetition's: the store is emptied between them).
 * Its sweeps stop at 90 % of capacity (the closed-loop cell is the 100 % point); the
 * micro-benchmarks run 0.3 s each. Its --dry-run estimate: 1h54m on 2 cores (the two sweep cells 4m19s
 * of it, PostgreSQL's fill of 200,000 sessions at 3,000/s the most). */
/* In two literals: one would pass the 4,095 characters C11 compilers must support. */
static const char default_json_a[] =
    "{\n"
    "  \"name\": \"default\",\n"
    "  \"description\": \"Decision-grade: every mechanism at 1, 2 and 4 servers, capacity and latency at the deployment's rate, rate sweeps, 5 interleaved rounds of 5 s.\",\n"
    "  \"deployment\": {\"peak_rate_per_sec\": 5000, \"servers\": 4},\n"
    "  \"slo_p99_ms\": 5,\n"
    "  \"store_capacity\": {\"clients\": 50, \"duration\": \"5s\"},\n"
    "  \"micro\": {\"min_time\": \"0.3s\", \"repetitions\": 3},\n"
    "  \"defaults\": {\"servers\": 1, \"lb\": \"rr\", \"connections\": 32, \"users\": 2000,\n"
    "               \"key_dist\": \"zipf:0.99\", \"mix\": \"read\", \"duration\": \"5s\", \"warmup\": \"1s\",\n"
    "               \"repetitions\": 5, \"threads\": 1, \"server_threads\": 2, \"open_loop\": true},\n"
    "  \"groups\": [\n"
    "    {\"mechanisms\": [\"none\", \"jwt:HS256\", \"jwt:ES256\"],\n"
    "     \"sweep\": [0.1, 0.25, 0.5, 0.75, 0.9]},\n"
    "    {\"mechanisms\": [\"jwt:RS256\", \"jwt:PS256\", \"jwt:EdDSA\", \"jwt+denylist:HS256,redis\"]},\n"
    "    {\"mechanisms\": [\"none\", \"jwt:HS256\", \"jwt:RS256\", \"jwt:PS256\", \"jwt:ES256\", \"jwt:EdDSA\",\n"
    "                    \"jwt+denylist:HS256,redis\"], \"servers\": [2, 4]},\n"
    "    {\"mechanisms\": [\"session:memory\"], \"lb\": \"sticky\", \"sweep\": [0.1, 0.25, 0.5, 0.75, 0.9]},\n"
    "    {\"mechanisms\": [\"session:file-pagecache\", \"session:file-direct\", \"session:file-fsync\"],\n"
    "     \"lb\": \"sticky\"},\n"
    "    {\"mechanisms\": [\"session:memory\", \"session:file-pagecache\", \"session:file-fsync\"],\n"
    "     \"lb\": \"sticky\", \"servers\": [2, 4]},\n"
    "    {\"mechanisms\": [\"session:memory\"], \"lb\": \"rr\", \"servers\": 2, \"open_loop\": false},\n"
    "    {\"mechanisms\": [\"session:redis\"], \"store_delay\": [\"0\", \"250us\"], \"controls\": true,\n"
    "     \"sweep\": [0.1, 0.25, 0.5, 0.75, 0.9]},\n"
    "    {\"mechanisms\": [\"session:redis\"], \"store_delay\": \"1ms\", \"controls\": true},\n"
    "    {\"mechanisms\": [\"session:redis\"], \"store_delay\": [\"0\", \"250us\", \"1ms\"], \"controls\": true,\n"
    "     \"servers\": [2, 4]},\n"
    "    {\"mechanisms\": [\"session:redis\"], \"store_delay\": \"250us\", \"server_model\": \"pool\",\n"
    "     \"server_threads\": 32},\n"
    "    {\"mechanisms\": [\"session:redis-cluster\"], \"servers\": [1, 2, 4]},\n";
static const char default_json_b[] =
    "    {\"mechanisms\": [\"session:redis\", \"session:redis-cluster\", \"jwt:HS256\", \"jwt:RS256\",\n"
    "                    \"jwt:ES256\"], \"mix\": \"login-heavy\", \"open_loop\": false},\n"
    "    {\"mechanisms\": [\"session:postgres\", \"session:memcached\"], \"store_delay\": \"0\"},\n"
    "    {\"mechanisms\": [\"session:postgres\", \"session:memcached\"], \"store_delay\": \"250us\",\n"
    "     \"controls\": true},\n"
    "    {\"mechanisms\": [\"session:postgres\", \"session:memcached\"], \"store_delay\": \"250us\",\n"
    "     \"servers\": [2, 4]},\n"
    "    {\"mechanisms\": [\"session:postgres?touch=always\", \"session:redis?touch=always\"],\n"
    "     \"store_delay\": \"250us\"},\n"
    "    {\"mechanisms\": [\"jwt+denylist:ES256,redis\"], \"store_delay\": \"250us\", \"controls\": true},\n"
    "    {\"mechanisms\": [\"jwt+pushed-denylist:ES256,redis\", \"session:redis?l1=1s\",\n"
    "                    \"jwt+refresh:ES256,redis?access_ttl=60\"], \"store_delay\": \"250us\"},\n"
    "    {\"mechanisms\": [\"jwt:ES256?cache=10000\"]},\n"
    "    {\"mechanisms\": [\"jwt:ES256?claims=1000\", \"jwt:ES256?claims=4000\", \"session:redis?claims=4000\"]},\n"
    "    {\"mechanisms\": [\"session:memory\", \"session:file-pagecache\", \"session:file-fsync\"], \"mix\": \"churn\",\n"
    "     \"lb\": \"sticky\"},\n"
    "    {\"mechanisms\": [\"session:memory\", \"session:file-fsync\"], \"mix\": \"login-heavy\",\n"
    "     \"lb\": \"sticky\", \"open_loop\": false},\n"
    "    {\"mechanisms\": [\"session:redis\", \"jwt:ES256\", \"jwt+denylist:ES256,redis?on_store_error=closed\",\n"
    "                    \"jwt+denylist:ES256,redis?on_store_error=open\", \"jwt+pushed-denylist:ES256,redis\",\n"
    "                    \"jwt:ES256?cache=10000\", \"session:redis?l1=1s\", \"jwt+refresh:ES256,redis?access_ttl=60\"],\n"
    "     \"fault\": \"store-outage\", \"fault_at\": \"3s\", \"duration\": \"8s\", \"servers\": 2,\n"
    "     \"open_loop\": false, \"repetitions\": 3},\n"
    "    {\"mechanisms\": [\"session:redis\", \"jwt+denylist:HS256,redis\"], \"fault\": \"redis-restart\",\n"
    "     \"fault_at\": \"4s\", \"fault_for\": \"2s\", \"duration\": \"10s\", \"open_loop\": false,\n"
    "     \"repetitions\": 3},\n"
    "    {\"mechanisms\": [\"session:redis\"], \"fault\": \"redis-pause\", \"fault_at\": \"4s\", \"fault_for\": \"3s\",\n"
    "     \"duration\": \"10s\", \"open_loop\": false, \"repetitions\": 3},\n"
    "    {\"mechanisms\": [\"session:redis\"], \"fault\": \"proxy-drop\", \"store_delay\": \"250us\",\n"
    "     \"fault_at\": \"4s\", \"duration\": \"10s\", \"open_loop\": false, \"repetitions\": 3},\n"
    "    {\"mechanisms\": [\"session:file-pagecache\"], \"fault\": \"disk-full\", \"mix\": \"churn\",\n"
    "     \"lb\": \"sticky\", \"fault_at\": \"4s\", \"fault_for\": \"3s\", \"duration\": \"10s\",\n"
    "     \"open_loop\": false, \"repetitions\": 3},\n"
    "    {\"mechanisms\": [\"session:redis\", \"jwt:HS256\"], \"fault\": \"server-kill\", \"fault_at\": \"4s\",\n"
    "     \"duration\": \"10s\", \"servers\": 2, \"open_loop\": false, \"repetitions\": 3},\n"
    "    {\"mechanisms\": [\"session:postgres\", \"session:redis\"], \"sessions\": 100000,\n"
    "     \"store_sweep\": {\"expired\": 100000, \"at\": \"2s\"}, \"open_loop\": false, \"repetitions\": 3}\n"
    "  ]\n"
    "}\n";

const char *ab_run_scenario_builtin(const char *name)
{
    if (strcmp(name, "quick") == 0)
        return quick_json;
    if (strcmp(name, "default") == 0) {
        static char joined[sizeof default_json_a + sizeof default_json_b];
        if (joined[0] == '\0')
            snprintf(joined, sizeof joined, "%s%s", default_json_a, default_json_b);
        return joined;
    }
    return NULL;
}
