/* scenario_builtin.c — the built-in scenarios: "quick" (about two minutes on a 2-core machine) and
 * "default" (the full matrix of issue 5). Both go through the same parser as a user's file. */
#include "run_scenario.h"

#include <string.h>

/* Servers run the async model (an event loop per core, a non-blocking pipelined store client), so
 * server_threads is the machine's core count here (2): a store wait never holds up another
 * connection, and more loops than cores would only contend. One group per scenario runs the pool
 * model (blocking workers, as PHP-FPM or gunicorn sync) with a worker per connection, beside the
 * async cell at the same store distance, so the report shows what the server's shape costs.
 *
 * Small enough for --quick's three-minute budget on two cores, yet every chart of the report has
 * data: throughput at 1 and 2 servers (sessions in a local 3-master Redis Cluster next to the single
 * Redis), the latency spectrum, CPU and I/O per request, store distance (0, 250 us, 1 ms), the
 * login-heavy mix and the store outage. The micro-benchmarks are
 * limited to what the report charts (typical-token sign/verify, the OpenSSL floor, libjwt). */
static const char quick_json[] =
    "{\n"
    "  \"name\": \"quick\",\n"
    "  \"description\": \"A small matrix for a first look: 1 and 2 servers, 2 s per cell, one repetition.\",\n"
    "  \"store_capacity\": {\"clients\": 50, \"duration\": \"1s\"},\n"
    "  \"micro\": {\"min_time\": \"0.01s\", \"repetitions\": 3,\n"
    "            \"filter\": \"typical|floor_verify|peer_libjwt\"},\n"
    "  \"defaults\": {\"servers\": [1, 2], \"lb\": \"rr\", \"connections\": 8, \"users\": 500,\n"
    "               \"key_dist\": \"zipf:0.99\", \"mix\": \"read\", \"duration\": \"2s\", \"warmup\": \"0.5s\",\n"
    "               \"repetitions\": 1, \"threads\": 1, \"server_threads\": 2},\n"
    "  \"groups\": [\n"
    "    {\"mechanisms\": [\"none\", \"jwt:HS256\", \"jwt:RS256\", \"jwt:ES256\", \"jwt:EdDSA\",\n"
    "                    \"jwt+denylist:HS256,redis\"]},\n"
    "    {\"mechanisms\": [\"session:memory\", \"session:file-pagecache\"], \"lb\": \"sticky\"},\n"
    "    {\"mechanisms\": [\"session:memory\"], \"lb\": \"rr\", \"servers\": 2},\n"
    "    {\"mechanisms\": [\"session:redis\"], \"store_delay\": [\"0\", \"1ms\"]},\n"
    "    {\"mechanisms\": [\"session:redis\"], \"store_delay\": \"1ms\", \"servers\": 1,\n"
    "     \"server_model\": \"pool\", \"server_threads\": 8},\n"
    "    {\"mechanisms\": [\"session:redis-cluster\"]},\n"
    "    {\"mechanisms\": [\"session:redis\"], \"store_delay\": \"250us\", \"servers\": 1},\n"
    "    {\"mechanisms\": [\"session:redis\", \"jwt:HS256\", \"jwt:ES256\"], \"mix\": \"login-heavy\",\n"
    "     \"servers\": 1},\n"
    "    {\"mechanisms\": [\"session:redis\", \"jwt:HS256\"], \"fault\": \"store-outage\",\n"
    "     \"fault_at\": \"1.5s\", \"duration\": \"4s\", \"servers\": 1}\n"
    "  ]\n"
    "}\n";

/* The full matrix: every mechanism at 1, 2 and 4 servers, three repetitions, store distance, disk
 * modes, sessions in a local 3-master Redis Cluster, the login-heavy mix, a fixed-rate (open-loop)
 * latency set, the store outage and the other faults (Redis restarted, paused, its connections
 * reset; the disk full; a server killed). */
static const char default_json[] =
    "{\n"
    "  \"name\": \"default\",\n"
    "  \"description\": \"The full matrix: every mechanism at 1, 2 and 4 servers, 3 repetitions of 10 s.\",\n"
    "  \"store_capacity\": {\"clients\": 50, \"duration\": \"5s\"},\n"
    "  \"micro\": {\"min_time\": \"0.5s\", \"repetitions\": 3},\n"
    "  \"defaults\": {\"servers\": [1, 2, 4], \"lb\": \"rr\", \"connections\": 32, \"users\": 10000,\n"
    "               \"key_dist\": \"zipf:0.99\", \"mix\": \"read\", \"duration\": \"10s\", \"warmup\": \"2s\",\n"
    "               \"repetitions\": 3, \"threads\": 1, \"server_threads\": 2},\n"
    "  \"groups\": [\n"
    "    {\"mechanisms\": [\"none\", \"jwt:HS256\", \"jwt:RS256\", \"jwt:PS256\", \"jwt:ES256\", \"jwt:EdDSA\",\n"
    "                    \"jwt+denylist:HS256,redis\"]},\n"
    "    {\"mechanisms\": [\"session:memory\", \"session:file-pagecache\", \"session:file-direct\",\n"
    "                    \"session:file-fsync\"], \"lb\": \"sticky\"},\n"
    "    {\"mechanisms\": [\"session:memory\"], \"lb\": \"rr\"},\n"
    "    {\"mechanisms\": [\"session:redis\"], \"store_delay\": [\"0\", \"250us\", \"1ms\"]},\n"
    "    {\"mechanisms\": [\"session:redis\"], \"store_delay\": [\"250us\", \"1ms\"],\n"
    "     \"server_model\": \"pool\", \"server_threads\": 32},\n"
    "    {\"mechanisms\": [\"session:redis-cluster\"]},\n"
    "    {\"mechanisms\": [\"session:redis\", \"session:redis-cluster\", \"jwt:HS256\", \"jwt:RS256\",\n"
    "                    \"jwt:PS256\", \"jwt:ES256\", \"jwt:EdDSA\"], \"mix\": \"login-heavy\", \"servers\": [1, 2]},\n"
    "    {\"mechanisms\": [\"session:memory\", \"session:file-fsync\"], \"mix\": \"login-heavy\",\n"
    "     \"lb\": \"sticky\", \"servers\": [1, 2]},\n"
    "    {\"mechanisms\": [\"none\", \"session:redis\", \"jwt:HS256\", \"jwt:RS256\", \"jwt:ES256\", \"jwt:EdDSA\",\n"
    "                    \"jwt+denylist:HS256,redis\"], \"rate\": 2000, \"servers\": 2,\n"
    "     \"store_delay\": [\"0\", \"1ms\"]},\n"
    "    {\"mechanisms\": [\"session:redis\", \"jwt:HS256\", \"jwt+denylist:HS256,redis\"],\n"
    "     \"fault\": \"store-outage\", \"fault_at\": \"8s\", \"duration\": \"20s\", \"servers\": 2,\n"
    "     \"repetitions\": 1},\n"
    "    {\"mechanisms\": [\"session:redis\", \"jwt+denylist:HS256,redis\"], \"fault\": \"redis-restart\",\n"
    "     \"fault_at\": \"4s\", \"fault_for\": \"2s\", \"duration\": \"12s\", \"servers\": 1, \"repetitions\": 1},\n"
    "    {\"mechanisms\": [\"session:redis\"], \"fault\": \"redis-pause\", \"fault_at\": \"4s\", \"fault_for\": \"3s\",\n"
    "     \"duration\": \"12s\", \"servers\": 1, \"repetitions\": 1},\n"
    "    {\"mechanisms\": [\"session:redis\"], \"fault\": \"proxy-drop\", \"store_delay\": \"250us\",\n"
    "     \"fault_at\": \"4s\", \"duration\": \"12s\", \"servers\": 1, \"repetitions\": 1},\n"
    "    {\"mechanisms\": [\"session:file-pagecache\"], \"fault\": \"disk-full\", \"mix\": \"churn\",\n"
    "     \"lb\": \"sticky\", \"fault_at\": \"4s\", \"fault_for\": \"3s\", \"duration\": \"12s\", \"servers\": 1,\n"
    "     \"repetitions\": 1},\n"
    "    {\"mechanisms\": [\"session:redis\", \"jwt:HS256\"], \"fault\": \"server-kill\", \"fault_at\": \"4s\",\n"
    "     \"duration\": \"12s\", \"servers\": 2, \"repetitions\": 1}\n"
    "  ]\n"
    "}\n";

const char *ab_run_scenario_builtin(const char *name)
{
    if (strcmp(name, "quick") == 0)
        return quick_json;
    if (strcmp(name, "default") == 0)
        return default_json;
    return NULL;
}
