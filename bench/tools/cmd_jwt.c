/* cmd_jwt.c — `authbench jwt`: keygen, sign and verify JWTs with the ajwt library. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ab_cli.h"
#include "ab_opt.h"
#include "ajwt.h"
#include "commands.h"

#define CMD "jwt"
#define VERIFY "jwt verify"
#define MAX_INPUT (1u << 20)
#define MAX_TTL (10ull * 366 * 86400)
#define MAX_EPOCH ((int64_t)1 << 53)
#define MSG_LEN 512

static const char usage_main[] =
    "usage: authbench jwt <keygen|sign|verify> [options]   (authbench jwt <subcommand> --help)\n"
    "\n"
    "Keys, signing and verification with authbench's JWT library (JWS compact serialization).\n"
    "Algorithms: HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519.\n"
    "\n"
    "  keygen   write a new key for an algorithm\n"
    "  sign     sign claims into a token\n"
    "  verify   verify a token and print its claims\n";

static const char usage_keygen[] =
    "usage: authbench jwt keygen --alg ALG --out PREFIX [--force]\n"
    "\n"
    "Writes a new key for ALG and prints the paths written:\n"
    "  PREFIX.key  the private key, mode 0600: a PKCS#8 PEM, or for HS* an oct JWK holding a random\n"
    "              secret of the hash's length ({\"kty\":\"oct\",\"alg\":…,\"k\":…})\n"
    "  PREFIX.pub  the public key as an SPKI PEM (not for HS*)\n"
    "RS*/PS* keys are RSA 2048, ES256/384/512 use P-256/384/521, EdDSA/Ed25519 use Ed25519.\n"
    "\n"
    "  --alg ALG      the algorithm the key is for\n"
    "  --out PREFIX   where to write (existing files are kept unless --force)\n"
    "  --force        replace existing files\n";

static const char usage_sign[] =
    "usage: authbench jwt sign --alg ALG --key FILE [--kid ID] [--claims JSON | --claims-file FILE]\n"
    "                          [--ttl SECONDS]\n"
    "\n"
    "Signs the claims (a JSON object, used byte for byte as the payload; default {}) and prints the\n"
    "token. The header is {\"alg\":ALG,\"typ\":\"JWT\"} plus \"kid\" when the key has one.\n"
    "\n"
    "  --alg ALG           the algorithm\n"
    "  --key FILE          a PEM private key, a JWK or JWKS with a private key, or an HMAC secret file\n"
    "  --kid ID            the key id to select (JWKS) or to name the key (PEM, secret)\n"
    "  --claims JSON       the claims\n"
    "  --claims-file FILE  the claims, read from FILE\n"
    "  --ttl SECONDS       add \"iat\": now and \"exp\": now + SECONDS\n";

static const char usage_verify[] =
    "usage: authbench jwt verify --key FILE [--alg ALG[,ALG…]] [--iss S] [--aud S] [--leeway S]\n"
    "                            [--now EPOCH] [--require CLAIM[,CLAIM…]] [TOKEN | -]\n"
    "\n"
    "Verifies TOKEN (or the token on standard input) and prints its payload JSON. On failure prints\n"
    "one line 'authbench: jwt: <reason>' on standard error and exits 1; bad usage exits 2.\n"
    "exp, nbf and iat are checked when present.\n"
    "\n"
    "  --key FILE            a PEM, a JWK, a JWKS (kid selection) or an HMAC secret file\n"
    "  --alg ALG[,ALG…]      algorithms accepted (default: those the key allows)\n"
    "  --iss S               required issuer\n"
    "  --aud S               required audience (aud may be a string or an array)\n"
    "  --leeway S            clock skew allowed for exp, nbf and iat, in seconds (default 0)\n"
    "  --now EPOCH           verify as if the time were EPOCH (Unix seconds)\n"
    "  --require C[,C…]      claims that must be present\n";

enum { OPT_ALG = 256, OPT_OUT, OPT_FORCE, OPT_KEY, OPT_KID, OPT_CLAIMS, OPT_CLAIMS_FILE, OPT_TTL, OPT_ISS,
       OPT_AUD, OPT_LEEWAY, OPT_NOW, OPT_REQUIRE };

/* --help of each subcommand. */
static void help_keygen(void)
{
    fputs(usage_keygen, stdout);
}

static void help_sign(void)
{
    fputs(usage_sign, stdout);
}

static void help_verify(void)
{
    fputs(usage_verify, stdout);
}

static ajwt_alg parse_alg(const char *sub, const char *s)
{
    ajwt_alg a = ajwt_alg_from_name(s);
    if (a == AJWT_ALG_INVALID)
        ab_usage_fail(sub, "--alg: unknown algorithm '%s' (HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 "
                      "PS512 ES256 ES384 ES512 EdDSA Ed25519)", s);
    return a;
}

/* Loads the key file into a new keyset, or returns NULL with the reason in msg. */
static ajwt_keyset *load_keys(const char *path, const char *kid, char *msg)
{
    ajwt_keyset *ks = ajwt_keyset_new();
    if (ks == NULL) {
        snprintf(msg, MSG_LEN, "out of memory");
        return NULL;
    }
    if (ajwt_keyset_add_file(ks, path, kid) != AJWT_OK) {
        if (ajwt_keyset_err(ks) == AJWT_ERR_IO)
            snprintf(msg, MSG_LEN, "%s", ajwt_keyset_errstr(ks));
        else
            snprintf(msg, MSG_LEN, "key file %s: %s", path, ajwt_keyset_errstr(ks));
        ajwt_keyset_free(ks);
        return NULL;
    }
    return ks;
}

/* ---- keygen ---- */

/* Writes data to path unless it exists (and !force). umask 077 makes the file 0600 when private. */
static int write_key_file(const char *path, const void *data, size_t len, int private_key, int force,
                          char *msg)
{
    mode_t old;
    int rc;
    if (!force && access(path, F_OK) == 0) {
        snprintf(msg, MSG_LEN, "%.400s exists; remove it or use --force", path);
        return -1;
    }
    old = umask(private_key ? 077 : 022);
    rc = ab_write_file_atomic(path, data, len);
    umask(old);
    if (rc != 0)
        snprintf(msg, MSG_LEN, "cannot write %.400s: %.80s", path, strerror(errno));
    return rc;
}

/* {"kty":"oct","alg":ALG,"k":BASE64URL(secret)} + newline, malloc'd. */
static char *secret_jwk(ajwt_alg alg, const unsigned char *secret, size_t len, size_t *out_len)
{
    size_t cap = AJWT_B64URL_ENCODED_LEN(len) + 64;
    char *out = malloc(cap);
    int n;
    if (out == NULL)
        return NULL;
    n = snprintf(out, cap, "{\"kty\":\"oct\",\"alg\":\"%s\",\"k\":\"", ajwt_alg_name(alg));
    ajwt_b64url_encode(secret, len, out + n, cap - (size_t)n, out_len);
    *out_len += (size_t)n;
    *out_len += (size_t)snprintf(out + *out_len, cap - *out_len, "\"}\n");
    return out;
}

static int keygen_write(ajwt_alg alg, const char *prefix, int force, char *msg)
{
    unsigned char *priv = NULL;
    char *pub = NULL, *jwk = NULL, path_key[4096], path_pub[4096];
    size_t priv_len = 0, pub_len = 0, jwk_len = 0;
    int rc = -1;
    snprintf(path_key, sizeof path_key, "%s.key", prefix);
    snprintf(path_pub, sizeof path_pub, "%s.pub", prefix);
    if (ajwt_keygen(alg, &priv, &priv_len, &pub, &pub_len, msg, MSG_LEN) != AJWT_OK)
        goto done;
    if (pub == NULL && (jwk = secret_jwk(alg, priv, priv_len, &jwk_len)) == NULL) {
        snprintf(msg, MSG_LEN, "out of memory");
        goto done;
    }
    if (write_key_file(path_key, jwk ? jwk : (char *)priv, jwk ? jwk_len : priv_len, 1, force, msg) != 0 ||
        (pub != NULL && write_key_file(path_pub, pub, pub_len, 0, force, msg) != 0))
        goto done;
    printf("%s\n", path_key);
    if (pub != NULL)
        printf("%s\n", path_pub);
    rc = 0;
done:
    if (priv != NULL) {
        memset(priv, 0, priv_len);
        free(priv);
    }
    if (jwk != NULL) {
        memset(jwk, 0, jwk_len);
        free(jwk);
    }
    free(pub);
    return rc;
}

static int jwt_keygen(int argc, char **argv)
{
    static const struct option opts[] = {{"alg", required_argument, NULL, OPT_ALG},
        {"out", required_argument, NULL, OPT_OUT}, {"force", no_argument, NULL, OPT_FORCE}, {NULL, 0, NULL, 0}};
    const char *sub = "jwt keygen", *alg = NULL, *out = NULL;
    char msg[MSG_LEN];
    int c, force = 0;
    ab_opt p;
    ab_opt_init(&p, sub, help_keygen, opts, argc, argv);
    while ((c = ab_opt_next(&p)) != AB_OPT_END) {
        switch (c) {
        case OPT_ALG: alg = ab_opt_value(&p); break;
        case OPT_OUT: out = ab_opt_value(&p); break;
        case OPT_FORCE: force = 1; break;
        }
    }
    if (alg == NULL || out == NULL || *out == '\0')
        ab_opt_fail(&p, "--alg and --out are required");
    if (keygen_write(parse_alg(sub, alg), out, force, msg) != 0)
        ab_fail(sub, "%s", msg);
    return AB_EXIT_OK;
}

/* ---- sign ---- */

typedef struct sign_opts {
    const char *alg, *key, *kid, *claims, *claims_file;
    uint64_t ttl;
} sign_opts;

/* Inserts "iat":now,"exp":now+ttl after the opening brace of a checked claims object, leaving every
 * other byte as it was. Returns a malloc'd copy, or NULL with msg (exit 2 when usage is set). */
static char *add_ttl(const char *claims, size_t len, uint64_t ttl, size_t *out_len, char *msg, int *usage)
{
    cJSON *root = cJSON_ParseWithLength(claims, len);
    const char *clash = NULL;
    char head[96];
    size_t open = 0, j, hl;
    char *out;
    long long now = (long long)ab_wall_s();
    if (root == NULL) {
        snprintf(msg, MSG_LEN, "out of memory");
        return NULL;
    }
    clash = cJSON_GetObjectItemCaseSensitive(root, "exp") ? "exp" :
            cJSON_GetObjectItemCaseSensitive(root, "iat") ? "iat" : NULL;
    cJSON_Delete(root);
    if (clash != NULL) {
        snprintf(msg, MSG_LEN, "--ttl sets iat and exp, but the claims already have %s", clash);
        *usage = 1;
        return NULL;
    }
    while (claims[open] != '{')
        open++;
    for (j = open + 1; claims[j] == ' ' || claims[j] == '\t' || claims[j] == '\n' || claims[j] == '\r'; j++)
        ;
    hl = (size_t)snprintf(head, sizeof head, "\"iat\":%lld,\"exp\":%lld%s", now, now + (long long)ttl,
                          claims[j] == '}' ? "" : ",");
    if ((out = malloc(len + hl + 1)) == NULL) {
        snprintf(msg, MSG_LEN, "out of memory");
        return NULL;
    }
    memcpy(out, claims, open + 1);
    memcpy(out + open + 1, head, hl);
    memcpy(out + open + 1 + hl, claims + open + 1, len - open - 1);
    *out_len = len + hl;
    out[*out_len] = '\0';
    return out;
}

/* The claims to sign, checked and with --ttl applied; malloc'd. NULL with msg (and *usage). */
static char *sign_claims(const sign_opts *o, size_t *len, char *msg, int *usage)
{
    char *text, *with_ttl, why[256];
    if (o->claims_file != NULL && (text = ab_read_file(o->claims_file, MAX_INPUT, len)) == NULL) {
        snprintf(msg, MSG_LEN, "cannot read claims file %s: %s", o->claims_file, strerror(errno));
        return NULL;
    }
    if (o->claims_file == NULL && (text = strdup(o->claims ? o->claims : "{}")) == NULL) {
        snprintf(msg, MSG_LEN, "out of memory");
        return NULL;
    }
    if (o->claims_file == NULL)
        *len = strlen(text);
    if (ajwt_claims_check(text, *len, 0, why, sizeof why) != AJWT_OK) {
        snprintf(msg, MSG_LEN, "claims must be one JSON object: %s", why);
        *usage = 1;
        free(text);
        return NULL;
    }
    if (o->ttl == 0)
        return text;
    with_ttl = add_ttl(text, *len, o->ttl, len, msg, usage);
    free(text);
    return with_ttl;
}

static int sign_run(const sign_opts *o, char *msg, int *usage)
{
    ajwt_alg alg = ajwt_alg_from_name(o->alg);
    ajwt_keyset *ks = NULL;
    ajwt_signer *s = NULL;
    char *claims = NULL, *token = NULL;
    size_t claims_len = 0, cap, tlen = 0;
    int rc = -1;
    if ((claims = sign_claims(o, &claims_len, msg, usage)) == NULL || (ks = load_keys(o->key, o->kid, msg)) == NULL)
        goto done;
    if ((s = ajwt_signer_new(ks, alg, o->kid)) == NULL || ajwt_signer_err(s) != AJWT_OK) {
        snprintf(msg, MSG_LEN, "%s", s ? ajwt_signer_errstr(s) : "out of memory");
        goto done;
    }
    cap = ajwt_sign_bound(s, claims_len) + 1;
    if ((token = malloc(cap)) == NULL || ajwt_sign(s, claims, claims_len, token, cap, &tlen) != AJWT_OK) {
        snprintf(msg, MSG_LEN, "signing failed");
        goto done;
    }
    printf("%s\n", token);
    rc = 0;
done:
    free(token);
    free(claims);
    ajwt_signer_free(s);
    ajwt_keyset_free(ks);
    return rc;
}

static int jwt_sign(int argc, char **argv)
{
    static const struct option opts[] = {{"alg", required_argument, NULL, OPT_ALG},
        {"key", required_argument, NULL, OPT_KEY}, {"kid", required_argument, NULL, OPT_KID},
        {"claims", required_argument, NULL, OPT_CLAIMS}, {"claims-file", required_argument, NULL, OPT_CLAIMS_FILE},
        {"ttl", required_argument, NULL, OPT_TTL}, {NULL, 0, NULL, 0}};
    const char *sub = "jwt sign";
    sign_opts o;
    char msg[MSG_LEN];
    int c, usage = 0;
    ab_opt p;
    memset(&o, 0, sizeof o);
    ab_opt_init(&p, sub, help_sign, opts, argc, argv);
    while ((c = ab_opt_next(&p)) != AB_OPT_END) {
        switch (c) {
        case OPT_ALG: o.alg = ab_opt_value(&p); break;
        case OPT_KEY: o.key = ab_opt_value(&p); break;
        case OPT_KID: o.kid = ab_opt_value(&p); break;
        case OPT_CLAIMS: o.claims = ab_opt_value(&p); break;
        case OPT_CLAIMS_FILE: o.claims_file = ab_opt_value(&p); break;
        case OPT_TTL: o.ttl = ab_opt_u64(&p, 1, MAX_TTL); break;
        }
    }
    if (o.alg == NULL || o.key == NULL)
        ab_opt_fail(&p, "--alg and --key are required");
    if (o.claims != NULL && o.claims_file != NULL)
        ab_opt_fail(&p, "use --claims or --claims-file, not both");
    parse_alg(sub, o.alg);
    if (sign_run(&o, msg, &usage) != 0) {
        if (usage)
            ab_opt_fail(&p, "%s", msg);
        ab_fail(sub, "%s", msg);
    }
    return AB_EXIT_OK;
}

/* ---- verify ---- */

typedef struct verify_opts {
    const char *key, *algs, *iss, *aud, *require, *token;
    int64_t now;
    int has_now;
    uint64_t leeway;
} verify_opts;

static int64_t fixed_clock(void *arg)
{
    return *(const int64_t *)arg;
}

/* The token argument, or standard input for "-" or none; trimmed; malloc'd. */
static char *read_token(const char *arg, size_t *len, char *msg)
{
    char *buf;
    size_t n = 0, start = 0;
    if (arg != NULL && strcmp(arg, "-") != 0) {
        buf = strdup(arg);
        n = buf ? strlen(buf) : 0;
    } else {
        buf = malloc(MAX_INPUT + 1);
        n = buf ? fread(buf, 1, MAX_INPUT + 1, stdin) : 0;
        if (buf != NULL && n > MAX_INPUT) {
            snprintf(msg, MSG_LEN, "token on standard input is longer than 1 MiB");
            free(buf);
            return NULL;
        }
    }
    if (buf == NULL) {
        snprintf(msg, MSG_LEN, "out of memory");
        return NULL;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        n--;
    while (start < n && (buf[start] == ' ' || buf[start] == '\t' || buf[start] == '\n' || buf[start] == '\r'))
        start++;
    memmove(buf, buf + start, n - start);
    *len = n - start;
    buf[*len] = '\0';
    return buf;
}

/* Applies the policy options to v. Returns 0, or -1 with msg. */
static int verify_policy(ajwt_verifier *v, const verify_opts *o, char *msg)
{
    ajwt_alg algs[AJWT_ALG_COUNT];
    char names[1024], *save = NULL, *name;
    int n;
    if (o->algs != NULL && ((n = ajwt_alg_list_parse(o->algs, algs, AJWT_ALG_COUNT)) <= 0 ||
                            ajwt_verifier_set_algs(v, algs, n) != AJWT_OK))
        goto fail;
    if (ajwt_verifier_set_issuer(v, o->iss) != AJWT_OK || ajwt_verifier_set_audience(v, o->aud) != AJWT_OK ||
        ajwt_verifier_set_leeway(v, (int64_t)o->leeway) != AJWT_OK ||
        (o->has_now && ajwt_verifier_set_clock(v, fixed_clock, (void *)&o->now) != AJWT_OK))
        goto fail;
    snprintf(names, sizeof names, "%s", o->require ? o->require : "");
    for (name = strtok_r(names, ",", &save); name != NULL; name = strtok_r(NULL, ",", &save))
        if (ajwt_verifier_require(v, name) != AJWT_OK)
            goto fail;
    return 0;
fail:
    snprintf(msg, MSG_LEN, "%s", ajwt_verifier_errstr(v));
    return -1;
}

static int verify_run(const verify_opts *o, char *msg)
{
    ajwt_keyset *ks = NULL;
    ajwt_verifier *v = NULL;
    ajwt_vctx *c = NULL;
    char *token = NULL;
    const char *payload;
    size_t len = 0;
    int rc = -1;
    if ((token = read_token(o->token, &len, msg)) == NULL || (ks = load_keys(o->key, NULL, msg)) == NULL)
        goto done;
    if ((v = ajwt_verifier_new(ks)) == NULL || (c = ajwt_vctx_new(v)) == NULL) {
        snprintf(msg, MSG_LEN, "out of memory");
        goto done;
    }
    if (verify_policy(v, o, msg) != 0)
        goto done;
    if (ajwt_verify(c, token, len) != AJWT_OK) {
        snprintf(msg, MSG_LEN, "%s", ajwt_vctx_errstr(c));
        goto done;
    }
    payload = ajwt_vctx_payload(c, &len);
    fwrite(payload, 1, len, stdout);
    fputc('\n', stdout);
    rc = 0;
done:
    free(token);
    ajwt_vctx_free(c);
    ajwt_verifier_free(v);
    ajwt_keyset_free(ks);
    return rc;
}

static void verify_args(int argc, char **argv, verify_opts *o)
{
    static const struct option opts[] = {{"key", required_argument, NULL, OPT_KEY},
        {"alg", required_argument, NULL, OPT_ALG}, {"iss", required_argument, NULL, OPT_ISS},
        {"aud", required_argument, NULL, OPT_AUD}, {"leeway", required_argument, NULL, OPT_LEEWAY},
        {"now", required_argument, NULL, OPT_NOW}, {"require", required_argument, NULL, OPT_REQUIRE},
        {NULL, 0, NULL, 0}};
    ajwt_alg algs[AJWT_ALG_COUNT];
    int c, ntokens = 0;
    ab_opt p;
    ab_opt_init_args(&p, VERIFY, help_verify, opts, argc, argv);
    while ((c = ab_opt_next(&p)) != AB_OPT_END) {
        switch (c) {
        case OPT_KEY: o->key = ab_opt_value(&p); break;
        case OPT_ALG: o->algs = ab_opt_value(&p); break;
        case OPT_ISS: o->iss = ab_opt_value(&p); break;
        case OPT_AUD: o->aud = ab_opt_value(&p); break;
        case OPT_LEEWAY: o->leeway = ab_opt_u64(&p, 0, 366 * 86400); break;
        case OPT_REQUIRE: o->require = ab_opt_value(&p); break;
        case OPT_NOW:
            if (ab_parse_i64(ab_opt_value(&p), 0, MAX_EPOCH, &o->now) != 0)
                ab_opt_bad(&p, "expected Unix seconds from 0 to 2^53, got '%s'", ab_opt_value(&p));
            o->has_now = 1;
            break;
        case AB_OPT_ARG: o->token = ab_opt_value(&p), ntokens++; break;
        }
    }
    if (ntokens > 1)
        ab_opt_fail(&p, "expected one token, got %d arguments", ntokens);
    if (o->key == NULL)
        ab_opt_fail(&p, "--key is required");
    if (o->algs != NULL && ajwt_alg_list_parse(o->algs, algs, AJWT_ALG_COUNT) <= 0)
        ab_opt_fail(&p, "--alg: expected a comma-separated list of algorithms, got '%s'", o->algs);
    if (o->require != NULL && strspn(o->require, ",") == strlen(o->require))
        ab_opt_fail(&p, "--require: expected claim names, got '%s'", o->require);
}

static int jwt_verify(int argc, char **argv)
{
    verify_opts o;
    char msg[MSG_LEN];
    memset(&o, 0, sizeof o);
    verify_args(argc, argv, &o);
    if (verify_run(&o, msg) != 0)
        ab_fail(VERIFY, "%s", msg);
    return AB_EXIT_OK;
}

int ab_cmd_jwt(int argc, char **argv)
{
    const char *sub = argc >= 2 ? argv[1] : NULL;
    if (sub == NULL)
        ab_usage_fail(CMD, "missing subcommand (keygen, sign, verify)");
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        fputs(usage_main, stdout);
        return AB_EXIT_OK;
    }
    if (strcmp(sub, "keygen") == 0)
        return jwt_keygen(argc - 1, argv + 1);
    if (strcmp(sub, "sign") == 0)
        return jwt_sign(argc - 1, argv + 1);
    if (strcmp(sub, "verify") == 0)
        return jwt_verify(argc - 1, argv + 1);
    ab_usage_fail(CMD, "unknown subcommand '%s' (keygen, sign, verify)", sub);
}
