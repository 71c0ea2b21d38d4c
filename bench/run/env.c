/* env.c — the environment a run records (CPU, cores, memory, kernel, compiler, library versions,
 * git commit) and the choice of a real filesystem for the disk stores. */
#include "run_env.h"
#include "run_proc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <openssl/crypto.h>

#ifndef AB_RUN_COMPILER
#define AB_RUN_COMPILER "unknown"
#endif
#ifndef AB_RUN_CFLAGS
#define AB_RUN_CFLAGS "unknown"
#endif
#ifndef AB_RUN_BUILD_TYPE
#define AB_RUN_BUILD_TYPE "unknown"
#endif
#ifndef AB_RUN_SOURCE_DIR
#define AB_RUN_SOURCE_DIR "."
#endif
#ifndef AB_RUN_VERSION
#define AB_RUN_VERSION "unknown"
#endif
#ifndef AB_RUN_SANITIZERS
#define AB_RUN_SANITIZERS 0
#endif

#define TMPFS_MAGIC_ 0x01021994
#define OVERLAYFS_MAGIC_ 0x794c7630
#define EXT4_MAGIC_ 0xEF53
#define XFS_MAGIC_ 0x58465342
#define BTRFS_MAGIC_ 0x9123683E

/* The CPU model from /proc/cpuinfo ("model name", or "Hardware" on ARM), read as a stream since
 * procfs files report size 0. "unknown" when absent. */
static void cpu_model(char *out, size_t len)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    ab_fmt(out, len, "unknown");
    if (f == NULL)
        return;
    while (fgets(line, sizeof line, f) != NULL) {
        char *colon = strchr(line, ':');
        if (colon != NULL && (strncmp(line, "model name", 10) == 0 || strncmp(line, "Hardware", 8) == 0)) {
            colon += 1 + strspn(colon + 1, " \t");
            ab_fmt(out, len, "%.*s", (int)strcspn(colon, "\n"), colon);
            break;
        }
    }
    fclose(f);
}

/* "Linux 6.1.0 x86_64" from uname. */
static void kernel_name(char *out, size_t len)
{
    struct utsname u;
    if (uname(&u) != 0)
        ab_fmt(out, len, "unknown");
    else
        ab_fmt(out, len, "%s %s %s", u.sysname, u.release, u.machine);
}

/* The git commit of the source tree and whether tracked files changed; "unknown" without git. The
 * committed runs under results/ are data, not code: regenerating results/reference in place changes
 * them while the run measures, and that is no reason to distrust the code that measured. */
static void git_state(cJSON *env)
{
    char out[128];
    char *head[] = {"git", "-C", AB_RUN_SOURCE_DIR, "rev-parse", "--short=12", "HEAD", NULL};
    char *dirty[] = {"git", "-C", AB_RUN_SOURCE_DIR, "status", "--porcelain", "--untracked-files=no", "--", ".",
                     ":(exclude)results", NULL};
    if (ab_run_capture(head, out, sizeof out, 5000) == 0 && out[0] != '\0') {
        out[strcspn(out, "\r\n")] = '\0';
        cJSON_AddStringToObject(env, "git_commit", out);
        if (ab_run_capture(dirty, out, sizeof out, 5000) == 0)
            cJSON_AddBoolToObject(env, "git_dirty", out[0] != '\0');
        else
            cJSON_AddNullToObject(env, "git_dirty");
        return;
    }
    cJSON_AddStringToObject(env, "git_commit", "unknown");
    cJSON_AddNullToObject(env, "git_dirty");
}

/* The version of the redis-server program in PATH ("v=7.0.15" in its --version line), or NULL. */
static int redis_server_version(char *out, size_t len)
{
    char buf[512];
    char *argv[] = {"redis-server", "--version", NULL};
    const char *v;
    if (ab_run_capture(argv, buf, sizeof buf, 5000) != 0 || (v = strstr(buf, "v=")) == NULL)
        return -1;
    ab_fmt(out, len, "%.*s", (int)strcspn(v + 2, " \n"), v + 2);
    return 0;
}

double ab_run_load_avg_1m(void)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double v = -1;
    if (f == NULL)
        return -1;
    if (fscanf(f, "%lf", &v) != 1)
        v = -1;
    fclose(f);
    return v;
}

/* CPU, cores, memory, kernel, host. */
static void add_machine(cJSON *env)
{
    char buf[256];
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    double la = ab_run_load_avg_1m();
    cpu_model(buf, sizeof buf);
    cJSON_AddStringToObject(env, "cpu_model", buf);
    cJSON_AddNumberToObject(env, "cores", (double)sysconf(_SC_NPROCESSORS_ONLN));
    if (pages > 0 && page > 0)
        cJSON_AddNumberToObject(env, "memory_bytes", (double)pages * (double)page);
    else
        cJSON_AddNullToObject(env, "memory_bytes");
    kernel_name(buf, sizeof buf);
    cJSON_AddStringToObject(env, "kernel", buf);
    if (gethostname(buf, sizeof buf) != 0)
        ab_fmt(buf, sizeof buf, "unknown");
    buf[sizeof buf - 1] = '\0';
    cJSON_AddStringToObject(env, "hostname", buf);
    if (la >= 0)
        cJSON_AddNumberToObject(env, "loadavg_1m_at_start", la);
    else
        cJSON_AddNullToObject(env, "loadavg_1m_at_start");
}

/* Compiler, flags and library versions. */
static void add_build(cJSON *env, const char *redis_version)
{
    char buf[64];
    cJSON_AddStringToObject(env, "compiler", AB_RUN_COMPILER);
    cJSON_AddStringToObject(env, "cflags", AB_RUN_CFLAGS);
    cJSON_AddStringToObject(env, "build_type", AB_RUN_BUILD_TYPE);
    cJSON_AddBoolToObject(env, "sanitizers", AB_RUN_SANITIZERS);
    cJSON_AddStringToObject(env, "openssl", OpenSSL_version(OPENSSL_VERSION));
    ab_fmt(buf, sizeof buf, "%d.%d.%d", HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH);
    cJSON_AddStringToObject(env, "hiredis", buf);
    cJSON_AddStringToObject(env, "cjson", cJSON_Version());
    if (redis_version != NULL && *redis_version != '\0')
        cJSON_AddStringToObject(env, "redis_server", redis_version);
    else if (redis_server_version(buf, sizeof buf) == 0)
        cJSON_AddStringToObject(env, "redis_server", buf);
    else
        cJSON_AddNullToObject(env, "redis_server");
}

cJSON *ab_run_environment(const char *redis_version, const char *disk_dir, const char *disk_fs)
{
    cJSON *env = cJSON_CreateObject();
    char date[32];
    if (env == NULL)
        abort();
    add_machine(env);
    add_build(env, redis_version);
    git_state(env);
    cJSON_AddStringToObject(env, "date_utc", ab_fmt_utc(ab_wall_s(), date, sizeof date));
    cJSON_AddStringToObject(env, "authbench_version", AB_RUN_VERSION);
    cJSON_AddStringToObject(env, "disk_dir", disk_dir);
    cJSON_AddStringToObject(env, "disk_fs", disk_fs);
    return env;
}

/* A name for a statfs f_type. */
static const char *fs_name(long type)
{
    switch ((unsigned long)type & 0xffffffffUL) {
    case TMPFS_MAGIC_: return "tmpfs";
    case OVERLAYFS_MAGIC_: return "overlay";
    case EXT4_MAGIC_: return "ext4";
    case XFS_MAGIC_: return "xfs";
    case BTRFS_MAGIC_: return "btrfs";
    default: return "other";
    }
}

/* The filesystem type name of path (which must exist), or NULL when statfs fails. */
static const char *fs_of(const char *path)
{
    struct statfs s;
    if (statfs(path, &s) != 0)
        return NULL;
    return fs_name((long)s.f_type);
}

/* 1 when fs is a RAM or layered filesystem where O_DIRECT and fsync do not measure a disk. */
static int fs_is_virtual(const char *fs)
{
    return strcmp(fs, "tmpfs") == 0 || strcmp(fs, "overlay") == 0;
}

int ab_run_pick_disk_dir(const char *preferred, int explicit_dir, char *out, size_t len, char *fs,
                         size_t fslen, char *err, size_t errlen)
{
    const char *type = NULL;
    if (ab_mkdirs(preferred, 0700) == 0 && (type = fs_of(preferred)) != NULL &&
        (explicit_dir || !fs_is_virtual(type))) {
        ab_fmt(out, len, "%s", preferred); /* an explicit choice is kept, and its type recorded */
        ab_fmt(fs, fslen, "%s", type);
        return 0;
    }
    if (explicit_dir) {
        ab_fmt(err, errlen, "disk_dir %s: %s", preferred, strerror(errno));
        return -1;
    }
    rmdir(preferred);
    ab_fmt(out, len, "/var/tmp/authbench-disk-%ld", (long)getpid());
    if (ab_mkdirs(out, 0700) != 0 || (type = fs_of(out)) == NULL) {
        ab_fmt(err, errlen, "no directory for the disk stores: %s is on %s and %s is unusable (%s)",
                   preferred, type ? type : "?", out, strerror(errno));
        return -1;
    }
    ab_fmt(fs, fslen, "%s", type); /* may still be virtual: recorded, and O_DIRECT may fail */
    return 0;
}
