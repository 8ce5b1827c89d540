/* The per-cell and per-row loops of ingestion, many rows per call (loaded by pipelines/native/__init__.py): the
 * counts over a block's bytes, cutting a block into cells (columns gathered or dictionary-encoded), the tokens, the
 * row hashes, the duplicate-row filter and the COPY lines.
 *
 * HMAC-SHA-256 tokens: in Python each token costs about 0.9 µs, nearly all of it calls and objects around two
 * SHA-256 copies; here the keyed inner and outer states are copied as plain structs and OpenSSL's SHA-256
 * (SHA-NI where the CPU has it) does the hashing: about 0.15 µs a token. */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init/Update/Final: deprecated in OpenSSL 3, still exported */
#include <openssl/sha.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char HEX[] = "0123456789abcdef";

/* key64: the key padded to the 64-byte block (hashed first when longer, as HMAC does; the caller does that).
 * data: n messages separated by NUL bytes (size bytes; a message cannot hold NUL); data2, unless NULL: n more
 * (size2 bytes), each appended to its message (a name form and a birth date, say).
 * mask: NULL when every one of rows rows has a message, else rows bytes: a row whose byte is 0 gets \N (COPY's
 * NULL) and takes no message. out: each row's 64 lowercase hex digits (or \N), rows separated by NUL bytes.
 * Returns the bytes written, or -1 (the messages do not match the rows, more than cap bytes, OpenSSL failed). */
int64_t kontingent_hmac_sha256_hex(const unsigned char *key64, const unsigned char *data, size_t size,
                                   const unsigned char *data2, size_t size2, int64_t n, const unsigned char *mask,
                                   int64_t rows, char *out, size_t cap) {
    SHA256_CTX inner, outer, ctx;
    unsigned char pad[64], digest[SHA256_DIGEST_LENGTH];
    const unsigned char *p = data, *end = data + size, *q, *p2 = data2, *end2 = data2 + size2, *q2 = NULL;
    char *o = out, *limit = out + cap;
    int64_t r, used = 0;
    int j;

    for (j = 0; j < 64; j++) pad[j] = key64[j] ^ 0x36;
    if (!SHA256_Init(&inner) || !SHA256_Update(&inner, pad, 64)) return -1;
    for (j = 0; j < 64; j++) pad[j] = key64[j] ^ 0x5c;
    if (!SHA256_Init(&outer) || !SHA256_Update(&outer, pad, 64)) return -1;
    for (r = 0; r < rows; r++) {
        if (limit - o < 65) return -1;
        if (mask != NULL && !mask[r]) {
            *o++ = '\\';
            *o++ = 'N';
        } else {
            if (used == n) return -1; /* fewer messages than rows to take them */
            q = memchr(p, 0, (size_t)(end - p));
            if (q == NULL) q = end;
            ctx = inner;
            if (!SHA256_Update(&ctx, p, (size_t)(q - p))) return -1;
            if (data2 != NULL) {
                q2 = memchr(p2, 0, (size_t)(end2 - p2));
                if (q2 == NULL) q2 = end2;
                if (!SHA256_Update(&ctx, p2, (size_t)(q2 - p2))) return -1;
                p2 = q2 + 1;
            }
            if (!SHA256_Final(digest, &ctx)) return -1;
            ctx = outer;
            if (!SHA256_Update(&ctx, digest, sizeof digest) || !SHA256_Final(digest, &ctx)) return -1;
            for (j = 0; j < SHA256_DIGEST_LENGTH; j++) {
                o[2 * j] = HEX[digest[j] >> 4];
                o[2 * j + 1] = HEX[digest[j] & 15];
            }
            o += 64;
            used++;
            p = q + 1;
        }
        if (r + 1 < rows) *o++ = 0;
    }
    if (used != n || (n > 0 && (p != end + 1 || (data2 != NULL && p2 != end2 + 1)))) return -1; /* left over */
    return (int64_t)(o - out);
}

/* BLAKE2b (RFC 7693), keyed, for the row hash. OpenSSL's BLAKE2BMAC costs more per record in set-up (a context
 * duplicated per record: 1.7 µs) than the hashing itself, so this is the RFC's reference algorithm. */
static const uint64_t B2B_IV[8] = {0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL,
                                   0xa54ff53a5f1d36f1ULL, 0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL,
                                   0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};
static const uint8_t B2B_SIGMA[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4}, {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13}, {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11}, {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5}, {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3}};

#define ROTR64(x, y) (((x) >> (y)) ^ ((x) << (64 - (y))))
#define B2B_G(a, b, c, d, x, y)       \
    do {                              \
        v[a] = v[a] + v[b] + (x);     \
        v[d] = ROTR64(v[d] ^ v[a], 32); \
        v[c] = v[c] + v[d];           \
        v[b] = ROTR64(v[b] ^ v[c], 24); \
        v[a] = v[a] + v[b] + (y);     \
        v[d] = ROTR64(v[d] ^ v[a], 16); \
        v[c] = v[c] + v[d];           \
        v[b] = ROTR64(v[b] ^ v[c], 63); \
    } while (0)

static uint64_t load64(const uint8_t *p) {
    uint64_t v = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(&v, p, 8);
#else
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
#endif
    return v;
}

/* One 128-byte block into h; t: bytes hashed so far including this block; last: the final block. */
static void b2b_compress(uint64_t h[8], const uint8_t block[128], uint64_t t, int last) {
    uint64_t v[16], m[16];
    int i;
    for (i = 0; i < 8; i++) {
        v[i] = h[i];
        v[i + 8] = B2B_IV[i];
    }
    v[12] ^= t;  /* the high half of the 128-bit counter stays 0: no record reaches 2^64 bytes */
    if (last) v[14] = ~v[14];
    for (i = 0; i < 16; i++) m[i] = load64(block + 8 * i);
    for (i = 0; i < 12; i++) {
        const uint8_t *s = B2B_SIGMA[i];
        B2B_G(0, 4, 8, 12, m[s[0]], m[s[1]]);
        B2B_G(1, 5, 9, 13, m[s[2]], m[s[3]]);
        B2B_G(2, 6, 10, 14, m[s[4]], m[s[5]]);
        B2B_G(3, 7, 11, 15, m[s[6]], m[s[7]]);
        B2B_G(0, 5, 10, 15, m[s[8]], m[s[9]]);
        B2B_G(1, 6, 11, 12, m[s[10]], m[s[11]]);
        B2B_G(2, 7, 8, 13, m[s[12]], m[s[13]]);
        B2B_G(3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    for (i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
}

/* A chunk of a record into a block buffer, the delimiter byte (if any) turned into the unit separator 0x1f. */
static void take(uint8_t *block, const unsigned char *p, size_t len, int delim) {
    memcpy(block, p, len);
    if (delim > 0) { /* each delimiter byte turned into 0x1f, eight bytes at a time (the rest of block is 0) */
        const uint64_t ones = 0x0101010101010101ULL, low = 0x7f7f7f7f7f7f7f7fULL;
        for (size_t k = 0; k < len; k += 8) {
            uint64_t w, t;
            memcpy(&w, block + k, 8);
            t = w ^ (ones * (uint8_t)delim);               /* 0 where the delimiter is */
            t = ~(((t & low) + low) | t | low);              /* 0x80 there, 0 elsewhere */
            w ^= (t >> 7) * (uint64_t)((uint8_t)delim ^ 0x1f); /* 1 × (delimiter ^ 0x1f) there: no carries */
            memcpy(block + k, &w, 8);
        }
    }
}

/* Keyed BLAKE2b with an 8-byte digest of each record (RowChecker.row_hash: hashlib.blake2b(record,
 * digest_size=8, key=key) of the record's cells joined by 0x1f), read as a signed big-endian 64-bit number.
 * key: 1 to 64 bytes. data: the records separated by \n, or by \r\n when crlf (after the last, nothing);
 * delim: the byte between cells, hashed as 0x1f (-1: the cells are joined by 0x1f already). out: room for cap
 * numbers. Returns the number of records hashed, or -1 (more records than cap, a key of the wrong length). */
int64_t kontingent_row_hashes(const unsigned char *key, size_t key_len, const unsigned char *data, size_t size,
                              int delim, int crlf, int64_t *out, int64_t cap) {
    uint64_t keyed[8], after_key[8], h[8];
    uint8_t block[128];
    const unsigned char *p = data, *end = data + size, *q;
    int64_t n = 0;
    int i;

    if (key_len < 1 || key_len > 64) return -1;
    for (i = 0; i < 8; i++) keyed[i] = B2B_IV[i];
    keyed[0] ^= 0x01010000ULL ^ ((uint64_t)key_len << 8) ^ 8;
    /* The key block comes first in every record's hash, and is the last block only for an empty record: the
     * state after it is the same for every other record, so it is computed once. */
    memset(block, 0, sizeof block);
    memcpy(block, key, key_len);
    memcpy(after_key, keyed, sizeof after_key);
    b2b_compress(after_key, block, 128, 0);
    for (;;) {
        const unsigned char *next;
        q = memchr(p, '\n', (size_t)(end - p));
        if (q == NULL) {
            q = next = end;
        } else {
            next = q + 1;
            if (crlf && q > p && q[-1] == '\r') q--;
        }
        if (n >= cap) return -1;
        size_t len = (size_t)(q - p), done = 0;
        if (len == 0) {
            memcpy(h, keyed, sizeof h);
            memset(block, 0, sizeof block);
            memcpy(block, key, key_len);
            b2b_compress(h, block, 128, 1);
        } else {
            memcpy(h, after_key, sizeof h);
            while (len - done > 128) {
                take(block, p + done, 128, delim);
                b2b_compress(h, block, 128 + done + 128, 0);
                done += 128;
            }
            memset(block, 0, sizeof block);
            take(block, p + done, len - done, delim);
            b2b_compress(h, block, 128 + len, 1);
        }
        uint64_t v = 0;
        for (i = 0; i < 8; i++) v = (v << 8) | ((h[0] >> (8 * i)) & 0xff);
        out[n++] = (int64_t)v;
        if (q == end) return n; /* the last record: no line end after it */
        p = next;
    }
}

static char *put_int(char *o, int64_t value) {
    char digits[24];
    int k = 0;
    uint64_t v = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
    do {
        digits[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (value < 0) *o++ = '-';
    while (k) *o++ = digits[--k];
    return o;
}

/* The COPY text of a block of clean rows: each row's fields joined by tabs, then meta, the row number and the
 * row hash, one line per row (what BlockChecker.block would build with a join per row).
 * cols: ncols buffers of fields separated by NUL bytes (fields are COPY text already): with codes[c] NULL, the
 * rows fields of column c in order; else column c's distinct fields, row r holding field number codes[c][r].
 * ns, hashes: rows numbers each. Returns the bytes written to out, or -1 (a column with too few or too many
 * fields, a code out of range, more than cap bytes, no memory). */
int64_t kontingent_copy_lines(int64_t rows, int64_t ncols, const char *const *cols, const size_t *sizes,
                              const int32_t *const *codes, const char *meta, size_t meta_len, const int64_t *ns,
                              const int64_t *hashes, char *out, size_t cap) {
    const char *at[256], *end[256];
    const char **field[256]; /* a coded column's distinct fields: start of each, and one past the last's NUL */
    int64_t count[256];
    char *o = out, *limit = out + cap;
    int64_t r, c, result = -1;

    if (ncols > 256) return -1;
    for (c = 0; c < ncols; c++) {
        at[c] = cols[c];
        end[c] = cols[c] + sizes[c];
        field[c] = NULL;
        count[c] = 0;
    }
    for (c = 0; c < ncols; c++) {
        if (codes[c] == NULL) continue;
        int64_t n = 1;
        for (const char *p = at[c]; (p = memchr(p, 0, (size_t)(end[c] - p))) != NULL; p++) n++;
        field[c] = malloc((size_t)(n + 1) * sizeof *field[c]);
        if (field[c] == NULL) goto done;
        const char *p = at[c];
        for (int64_t k = 0; k < n; k++) {
            field[c][k] = p;
            const char *q = memchr(p, 0, (size_t)(end[c] - p));
            p = q == NULL ? end[c] + 1 : q + 1;
        }
        field[c][n] = end[c] + 1;
        count[c] = n;
    }
    for (r = 0; r < rows; r++) {
        for (c = 0; c < ncols; c++) {
            const char *p, *q;
            if (field[c] != NULL) {
                int32_t k = codes[c][r];
                if (k < 0 || k >= count[c]) goto done;
                p = field[c][k];
                q = field[c][k + 1] - 1;
            } else {
                p = at[c];
                q = memchr(p, 0, (size_t)(end[c] - p));
                if (q == NULL) {
                    if (r != rows - 1) goto done;
                    q = end[c];
                }
                at[c] = q + 1;
            }
            size_t len = (size_t)(q - p);
            if ((size_t)(limit - o) < len + 1) goto done;
            memcpy(o, p, len);
            o += len;
            *o++ = '\t';
        }
        if ((size_t)(limit - o) < meta_len + 48) goto done;
        memcpy(o, meta, meta_len);
        o += meta_len;
        *o++ = '\t';
        o = put_int(o, ns[r]);
        *o++ = '\t';
        o = put_int(o, hashes[r]);
        *o++ = '\n';
    }
    for (c = 0; c < ncols; c++)
        if (field[c] == NULL && at[c] != end[c] + 1) goto done; /* fields left over: a column longer than rows */
    result = (int64_t)(o - out);
done:
    for (c = 0; c < ncols; c++) free(field[c]);
    return result;
}

int kontingent_bloom_add(uint8_t *bits, uint64_t size, const int64_t *hashes, int64_t n, int probes) {
    uint64_t mask = size - 1;
    int hit = 0;
    for (int64_t r = 0; r < n; r++) {
        uint64_t h = (uint64_t)hashes[r], first = h & mask, step = ((h >> 26) & mask) | 1;
        int all = 1;
        for (int i = 0; i < probes; i++) {
            uint64_t at = (first + step * (uint64_t)i) & mask;
            uint8_t bit = (uint8_t)(1u << (at & 7));
            if (!(bits[at >> 3] & bit)) {
                all = 0;
                bits[at >> 3] |= bit;
            }
        }
        hit |= all;
    }
    return hit;
}

/* A quote-free block cut into cells: rows records separated by \n (\r\n with crlf; no line end after the last),
 * each of exactly width cells separated by the byte delim. Cell c of record r starts at starts[r * width + c] and
 * is lens[r * width + c] bytes long. Returns rows, or -1 when a record has another number of cells or the block
 * holds another number of records. */
int64_t kontingent_cells(const unsigned char *data, size_t size, int delim, int crlf, int64_t width, int64_t rows,
                         uint32_t *starts, uint32_t *lens) {
    int64_t r = 0, c = 0, at = 0;
    size_t cell = 0, i, stop;

    if (width < 1 || size > UINT32_MAX) return -1;
    for (i = 0;; i++) {
        int eol = i == size || data[i] == '\n';
        if (!eol && data[i] != (unsigned char)delim) continue;
        stop = i;
        if (eol && crlf && i < size && stop > cell && data[stop - 1] == '\r') stop--;
        if (c == width || r == rows) return -1;
        starts[at] = (uint32_t)cell;
        lens[at++] = (uint32_t)(stop - cell);
        c++;
        cell = i + 1;
        if (eol) {
            if (c != width) return -1;
            r++;
            c = 0;
            if (i == size) break;
        }
    }
    return r == rows ? r : -1;
}

/* Column col of a block cut by kontingent_cells, dictionary-encoded: each distinct cell once, in order of first
 * appearance, written to out each followed by NUL (cap: at least the column's bytes plus rows), and codes[r]
 * the number of row r's value among them. Returns the bytes written, or -1 (no memory, out too small). */
int64_t kontingent_encode(const unsigned char *data, const uint32_t *starts, const uint32_t *lens, int64_t width,
                          int64_t col, int64_t rows, int32_t *codes, unsigned char *out, size_t cap) {
    size_t slots = 16, used = 0;
    int64_t r, n = 0;
    while (slots < 2 * (size_t)rows) slots <<= 1;
    int32_t *table = calloc(slots, sizeof *table); /* 1 + the row where a distinct value first came, 0: empty */
    if (table == NULL) return -1;
    for (r = 0; r < rows; r++) {
        const unsigned char *cell = data + starts[r * width + col];
        uint32_t len = lens[r * width + col], k;
        uint64_t h = 1469598103934665603ULL; /* FNV-1a */
        for (k = 0; k < len; k++) h = (h ^ cell[k]) * 1099511628211ULL;
        size_t s = (size_t)(h ^ (h >> 29)) & (slots - 1);
        for (;;) {
            int32_t first = table[s];
            if (first == 0) {
                if (used + len + 1 > cap) {
                    free(table);
                    return -1;
                }
                table[s] = (int32_t)r + 1;
                codes[r] = (int32_t)n++;
                memcpy(out + used, cell, len);
                used += len;
                out[used++] = 0;
                break;
            }
            int64_t at = (int64_t)(first - 1) * width + col;
            if (lens[at] == len && memcmp(data + starts[at], cell, len) == 0) {
                codes[r] = codes[first - 1];
                break;
            }
            s = (s + 1) & (slots - 1);
        }
    }
    free(table);
    return (int64_t)used;
}

/* Whether the UTF-8 character at p (n bytes left) is whitespace as Python's str.isspace() has it. */
static int space_char(const unsigned char *p, size_t n) {
    unsigned char b = p[0];
    if (b < 0x80) return (b >= 0x09 && b <= 0x0d) || (b >= 0x1c && b <= 0x20);
    if (b == 0xc2 && n >= 2) return p[1] == 0x85 || p[1] == 0xa0;                     /* U+0085, U+00A0 */
    if (b == 0xe1 && n >= 3) return p[1] == 0x9a && p[2] == 0x80;                      /* U+1680 */
    if (b == 0xe2 && n >= 3)                                                           /* U+2000-200A, 2028, */
        return (p[1] == 0x80 && (p[2] <= 0x8a || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf)) || /* 2029, */
               (p[1] == 0x81 && p[2] == 0x9f);                                         /* 202F, 205F */
    if (b == 0xe3 && n >= 3) return p[1] == 0x80 && p[2] == 0x80;                      /* U+3000 */
    return 0;
}

/* Column col of a block cut by kontingent_cells, its cells separated by NUL. stats[0]: the length of its longest
 * cell in bytes; stats[1]: how many cells are empty or begin or end with whitespace (str.strip would change
 * them). Returns the bytes written, or -1 when they would be more than cap. */
int64_t kontingent_gather(const unsigned char *data, const uint32_t *starts, const uint32_t *lens, int64_t width,
                          int64_t col, int64_t rows, int64_t *stats, unsigned char *out, size_t cap) {
    size_t used = 0;
    stats[0] = stats[1] = 0;
    for (int64_t r = 0; r < rows; r++) {
        uint32_t len = lens[r * width + col];
        const unsigned char *cell = data + starts[r * width + col];
        if (len > stats[0]) stats[0] = len;
        if (len == 0) {
            stats[1]++;
        } else {
            uint32_t k = len - 1; /* where the last character starts: back over up to 3 continuation bytes */
            while (k > 0 && len - k < 4 && (cell[k] & 0xc0) == 0x80) k--;
            stats[1] += space_char(cell, len) || space_char(cell + k, len - k);
        }
        if (used + len + 1 > cap) return -1;
        memcpy(out + used, data + starts[r * width + col], len);
        used += len;
        if (r + 1 < rows) out[used++] = 0;
    }
    return (int64_t)used;
}

/* What BlockChecker's reader needs to know of a block's bytes, in one pass: out[0] double quotes, [1] \r\n line
 * ends, [2] \n, [3] \r, [4] NUL bytes, [5] bytes over 127, [6] UTF-8 Cyrillic pairs (a D0 or D1 byte before a
 * continuation byte), [7] the longest line (split at \n, without it). */
void kontingent_shape(const unsigned char *raw, size_t size, int64_t *out) {
    int64_t quotes = 0, crlf = 0, lf = 0, cr = 0, nul = 0, high = 0, cyrillic = 0, longest = 0;
    size_t i, start = 0;
    unsigned char prev = 0;
    for (i = 0; i < size; i++) {
        unsigned char b = raw[i];
        quotes += b == '"';
        cr += b == '\r';
        nul += b == 0;
        high += b >> 7;
        cyrillic += ((prev | 1) == 0xd1) & ((b & 0xc0) == 0x80);
        if (b == '\n') {
            lf++;
            crlf += prev == '\r';
            if ((int64_t)(i - start) > longest) longest = (int64_t)(i - start);
            start = i + 1;
        }
        prev = b;
    }
    if ((int64_t)(size - start) > longest) longest = (int64_t)(size - start);
    out[0] = quotes, out[1] = crlf, out[2] = lf, out[3] = cr, out[4] = nul, out[5] = high, out[6] = cyrillic;
    out[7] = longest;
}
