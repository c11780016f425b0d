/* cur.h — a bounds-checked read cursor over untrusted bytes.
 *
 * Every read checks the remaining length first and advances only on success;
 * a failed read leaves the cursor where it was. A cursor never owns its bytes:
 * it borrows them from the caller, who keeps them alive while it is in use. */
#ifndef LC_CORE_CUR_H
#define LC_CORE_CUR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cur {
    const uint8_t *p;
    size_t len;
};

/* cur_init returns a cursor over |len| bytes at |p| (borrowed, not copied). */
static inline struct cur cur_init(const void *p, size_t len)
{
    struct cur c = {(const uint8_t *)p, len};
    return c;
}

static inline size_t cur_left(const struct cur *c) { return c->len; }
static inline bool cur_is_empty(const struct cur *c) { return c->len == 0; }

static inline bool cur_skip(struct cur *c, size_t n)
{
    if (c->len < n)
        return false;
    c->p += n;
    c->len -= n;
    return true;
}

static inline bool cur_u8(struct cur *c, uint8_t *out)
{
    if (c->len < 1)
        return false;
    *out = c->p[0];
    return cur_skip(c, 1);
}

static inline bool cur_u16(struct cur *c, uint16_t *out)
{
    if (c->len < 2)
        return false;
    *out = (uint16_t)((c->p[0] << 8) | c->p[1]);
    return cur_skip(c, 2);
}

static inline bool cur_u32(struct cur *c, uint32_t *out)
{
    if (c->len < 4)
        return false;
    *out = ((uint32_t)c->p[0] << 24) | ((uint32_t)c->p[1] << 16) |
           ((uint32_t)c->p[2] << 8) | (uint32_t)c->p[3];
    return cur_skip(c, 4);
}

/* cur_copy copies the next |n| bytes to |out|. */
static inline bool cur_copy(struct cur *c, void *out, size_t n)
{
    if (c->len < n)
        return false;
    if (n > 0) /* an empty cursor may hold NULL, which memcpy never may */
        memcpy(out, c->p, n);
    return cur_skip(c, n);
}

/* cur_sub splits the next |n| bytes off into |out| (borrowing, not copying). */
static inline bool cur_sub(struct cur *c, struct cur *out, size_t n)
{
    if (c->len < n)
        return false;
    *out = cur_init(c->p, n);
    return cur_skip(c, n);
}

/* cur_peek reads the next byte without advancing. */
static inline bool cur_peek(const struct cur *c, uint8_t *out)
{
    if (c->len < 1)
        return false;
    *out = c->p[0];
    return true;
}

/* cur_take_until splits off everything before the first |stop| byte (or all
 * that is left when there is none) into |out|; the |stop| byte stays. */
static inline void cur_take_until(struct cur *c, struct cur *out, uint8_t stop)
{
    const uint8_t *hit = c->len ? memchr(c->p, stop, c->len) : NULL;
    size_t n = hit ? (size_t)(hit - c->p) : c->len;
    *out = cur_init(c->p, n);
    c->p += n;
    c->len -= n;
}

/* cur_skip_space skips spaces and tabs. */
static inline void cur_skip_space(struct cur *c)
{
    while (c->len && (c->p[0] == ' ' || c->p[0] == '\t'))
        cur_skip(c, 1);
}

/* cur_trim_space drops spaces, tabs, CR and LF from both ends. */
static inline void cur_trim_space(struct cur *c)
{
    while (c->len && (c->p[0] == ' ' || c->p[0] == '\t' || c->p[0] == '\r' || c->p[0] == '\n'))
        cur_skip(c, 1);
    while (c->len && (c->p[c->len - 1] == ' ' || c->p[c->len - 1] == '\t' ||
                      c->p[c->len - 1] == '\r' || c->p[c->len - 1] == '\n'))
        c->len--;
}

/* cur_eq_str is true when the remaining bytes equal the C string |s|. */
static inline bool cur_eq_str(const struct cur *c, const char *s)
{
    size_t n = strlen(s);
    return c->len == n && (n == 0 || memcmp(c->p, s, n) == 0);
}

#endif
