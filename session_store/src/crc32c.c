/* crc32c.c — CRC-32C (Castagnoli), the session record's checksum: the SSE4.2 instruction where the
 * CPU has it, else slice-by-8 tables. */
#include <pthread.h>
#include <string.h>

#include "record.h"

#define CRC32C_POLY 0x82F63B78u /* reflected */
#define CRC32C_CHECK 0xE3069283u /* CRC-32C of "123456789", the standard check value */

static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;
static uint32_t (*crc_update)(uint32_t crc, const unsigned char *p, size_t len);

/* Slice-by-8 over the tables, any CPU. */
static uint32_t crc_soft(uint32_t crc, const unsigned char *p, size_t len)
{
    for (; len >= 8; p += 8, len -= 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
        crc = crc_table[7][lo & 0xff] ^ crc_table[6][lo >> 8 & 0xff] ^ crc_table[5][lo >> 16 & 0xff] ^
              crc_table[4][lo >> 24] ^ crc_table[3][hi & 0xff] ^ crc_table[2][hi >> 8 & 0xff] ^
              crc_table[1][hi >> 16 & 0xff] ^ crc_table[0][hi >> 24];
    }
    while (len-- > 0)
        crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
    return crc;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The SSE4.2 crc32 instruction, 8 bytes at a time. */
__attribute__((target("sse4.2"))) static uint32_t crc_sse42(uint32_t crc, const unsigned char *p, size_t len)
{
    unsigned long long c = crc;
    for (; len >= 8; p += 8, len -= 8) {
        unsigned long long w;
        memcpy(&w, p, sizeof w);
        c = __builtin_ia32_crc32di(c, w);
    }
    while (len-- > 0)
        c = __builtin_ia32_crc32qi((unsigned)c, *p++);
    return (uint32_t)c;
}
#endif

/* Builds the tables and picks the implementation. */
static void crc_init(void)
{
    uint32_t i, c;
    int k, t;
    for (i = 0; i < 256; i++) {
        for (c = i, k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ CRC32C_POLY : c >> 1;
        crc_table[0][i] = c;
    }
    for (i = 0; i < 256; i++)
        for (t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
    crc_update = crc_soft;
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("sse4.2") &&
        ~crc_sse42(0xFFFFFFFFu, (const unsigned char *)"123456789", 9) == CRC32C_CHECK)
        crc_update = crc_sse42;
#endif
}

uint32_t sstore_crc32c(const void *data, size_t len)
{
    pthread_once(&crc_once, crc_init);
    return ~crc_update(0xFFFFFFFFu, data, len);
}
