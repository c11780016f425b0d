/* test_cur.c — src/core/cur.h: every read at its exact length, one byte short
 * and on an empty cursor; a failed read leaves the cursor and the output as
 * they were. */
#include "core/cur.h"

#include "helpers.h"

static const uint8_t bytes[] = {0x11, 0x22, 0x33, 0x44, 0x55};

/* CUR_SAME asserts that |c| still covers exactly |p|, |len|. */
#define CUR_SAME(c, ptr, n)                 \
    do {                                    \
        ck_assert_ptr_eq((c).p, (ptr));     \
        ck_assert_uint_eq((c).len, (n));    \
    } while (0)

START_TEST(test_init)
{
    struct cur c = cur_init(bytes, sizeof(bytes));
    CUR_SAME(c, bytes, sizeof(bytes));
    ck_assert_uint_eq(cur_left(&c), 5);
    ck_assert(!cur_is_empty(&c));

    c = cur_init(NULL, 0);
    ck_assert(cur_is_empty(&c));
    ck_assert_uint_eq(cur_left(&c), 0);
}
END_TEST

/* check_read: the read of |size| bytes succeeds on exactly |size| bytes and
 * fails, without moving, on |size| - 1. */
#define CHECK_READ(fn, type, size, expect)                                \
    do {                                                                  \
        type v = 0;                                                       \
        struct cur c = cur_init(bytes, (size));                           \
        ck_assert(fn(&c, &v));                                            \
        ck_assert_uint_eq(v, (expect));                                   \
        CUR_SAME(c, bytes + (size), 0);                                   \
        ck_assert(!fn(&c, &v)); /* nothing left */                        \
        ck_assert_uint_eq(v, (expect));                                   \
        CUR_SAME(c, bytes + (size), 0);                                   \
        type untouched = (type)0x5a;                                      \
        c = cur_init(bytes, (size) - 1);                                  \
        ck_assert(!fn(&c, &untouched));                                   \
        ck_assert_uint_eq(untouched, (type)0x5a);                         \
        CUR_SAME(c, bytes, (size) - 1);                                   \
    } while (0)

START_TEST(test_read_exact_and_short)
{
    CHECK_READ(cur_u8, uint8_t, 1, 0x11);
    CHECK_READ(cur_u16, uint16_t, 2, 0x1122);
    CHECK_READ(cur_u32, uint32_t, 4, 0x11223344);
}
END_TEST

START_TEST(test_read_network_order_high_bytes)
{
    /* Every byte above 0x7f: no sign extension may leak into the result. */
    static const uint8_t high[] = {0xff, 0xfe, 0x80, 0x81};
    struct cur c = cur_init(high, sizeof(high));
    uint16_t v16;
    uint32_t v32;
    ck_assert(cur_u16(&c, &v16));
    ck_assert_uint_eq(v16, 0xfffe);
    c = cur_init(high, sizeof(high));
    ck_assert(cur_u32(&c, &v32));
    ck_assert_uint_eq(v32, 0xfffe8081u);
}
END_TEST

START_TEST(test_read_empty)
{
    struct cur c = cur_init(NULL, 0);
    uint8_t v8 = 7, buf[1] = {9};
    uint16_t v16 = 7;
    uint32_t v32 = 7;
    struct cur sub = cur_init(bytes, 1);

    ck_assert(!cur_u8(&c, &v8));
    ck_assert(!cur_u16(&c, &v16));
    ck_assert(!cur_u32(&c, &v32));
    ck_assert(!cur_peek(&c, &v8));
    ck_assert(!cur_copy(&c, buf, 1));
    ck_assert(!cur_sub(&c, &sub, 1));
    ck_assert(!cur_skip(&c, 1));
    ck_assert_uint_eq(v8, 7);
    ck_assert_uint_eq(v16, 7);
    ck_assert_uint_eq(v32, 7);
    ck_assert_uint_eq(buf[0], 9);
    CUR_SAME(sub, bytes, 1);
    CUR_SAME(c, NULL, 0);

    /* Zero-length operations succeed on an empty cursor and change nothing. */
    ck_assert(cur_skip(&c, 0));
    ck_assert(cur_copy(&c, buf, 0));
    ck_assert(cur_sub(&c, &sub, 0));
    ck_assert_uint_eq(sub.len, 0);
    CUR_SAME(c, NULL, 0);
}
END_TEST

START_TEST(test_skip)
{
    struct cur c = cur_init(bytes, sizeof(bytes));
    ck_assert(cur_skip(&c, 2));
    CUR_SAME(c, bytes + 2, 3);
    ck_assert(!cur_skip(&c, 4));
    CUR_SAME(c, bytes + 2, 3);
    ck_assert(!cur_skip(&c, SIZE_MAX)); /* no wrap-around */
    CUR_SAME(c, bytes + 2, 3);
    ck_assert(cur_skip(&c, 3));
    CUR_SAME(c, bytes + 5, 0);
    ck_assert(!cur_skip(&c, 1));
}
END_TEST

START_TEST(test_copy)
{
    uint8_t out[5] = {0};
    struct cur c = cur_init(bytes, sizeof(bytes));
    ck_assert(cur_copy(&c, out, 5));
    ck_assert_mem_eq(out, bytes, 5);
    ck_assert(cur_is_empty(&c));

    memset(out, 0xaa, sizeof(out));
    c = cur_init(bytes, 4);
    ck_assert(!cur_copy(&c, out, 5));
    for (size_t i = 0; i < sizeof(out); i++)
        ck_assert_uint_eq(out[i], 0xaa);
    CUR_SAME(c, bytes, 4);
}
END_TEST

START_TEST(test_sub)
{
    struct cur c = cur_init(bytes, sizeof(bytes)), sub = cur_init(NULL, 0);
    uint8_t v;
    ck_assert(cur_sub(&c, &sub, 2));
    CUR_SAME(sub, bytes, 2); /* borrowed, not copied */
    CUR_SAME(c, bytes + 2, 3);

    /* The sub-cursor is bounded on its own: it cannot read past its 2 bytes. */
    ck_assert(cur_u8(&sub, &v) && cur_u8(&sub, &v));
    ck_assert(!cur_u8(&sub, &v));
    ck_assert_uint_eq(v, 0x22);

    struct cur keep = cur_init(bytes, 1);
    ck_assert(!cur_sub(&c, &keep, 4));
    CUR_SAME(keep, bytes, 1);
    CUR_SAME(c, bytes + 2, 3);
    ck_assert(cur_sub(&c, &sub, 3));
    CUR_SAME(sub, bytes + 2, 3);
    ck_assert(cur_is_empty(&c));
}
END_TEST

START_TEST(test_peek)
{
    struct cur c = cur_init(bytes, 1);
    uint8_t v = 0;
    ck_assert(cur_peek(&c, &v));
    ck_assert_uint_eq(v, 0x11);
    CUR_SAME(c, bytes, 1);
    ck_assert(cur_peek(&c, &v)); /* again: peeking never advances */
    CUR_SAME(c, bytes, 1);
}
END_TEST

START_TEST(test_take_until)
{
    static const char text[] = "key=value=more";
    struct cur c = cur_init(text, strlen(text)), out;

    cur_take_until(&c, &out, '=');
    ck_assert(cur_eq_str(&out, "key"));
    ck_assert(cur_eq_str(&c, "=value=more")); /* the stop byte stays */

    /* The stop byte first: an empty piece, nothing moves. */
    cur_take_until(&c, &out, '=');
    ck_assert_uint_eq(out.len, 0);
    ck_assert_ptr_eq(out.p, (const uint8_t *)text + 3);
    ck_assert(cur_eq_str(&c, "=value=more"));

    /* No stop byte: everything that is left. */
    ck_assert(cur_skip(&c, 1));
    cur_take_until(&c, &out, '#');
    ck_assert(cur_eq_str(&out, "value=more"));
    ck_assert(cur_is_empty(&c));

    /* An empty cursor (even one with a NULL pointer) gives an empty piece. */
    c = cur_init(NULL, 0);
    cur_take_until(&c, &out, '=');
    ck_assert_uint_eq(out.len, 0);
    ck_assert(cur_is_empty(&c));
}
END_TEST

START_TEST(test_take_until_binary)
{
    /* NUL is an ordinary byte to a cursor: it neither stops a search for
     * another byte nor hides the bytes after it. */
    static const uint8_t data[] = {'a', 0, 'b', '\n', 'c'};
    struct cur c = cur_init(data, sizeof(data)), out;
    cur_take_until(&c, &out, '\n');
    ck_assert_uint_eq(out.len, 3);
    ck_assert_uint_eq(c.len, 2);

    c = cur_init(data, sizeof(data));
    cur_take_until(&c, &out, 0);
    ck_assert_uint_eq(out.len, 1);
    ck_assert_uint_eq(c.len, 4);

    /* The search never looks past the cursor's end. */
    c = cur_init(data, 2);
    cur_take_until(&c, &out, 'b');
    ck_assert_uint_eq(out.len, 2);
    ck_assert(cur_is_empty(&c));
}
END_TEST

START_TEST(test_skip_space)
{
    static const char text[] = " \t \tx \r";
    struct cur c = cur_init(text, strlen(text));
    cur_skip_space(&c);
    ck_assert(cur_eq_str(&c, "x \r"));
    cur_skip_space(&c); /* nothing to skip */
    ck_assert(cur_eq_str(&c, "x \r"));

    /* CR and LF are not spaces here: a line break stays visible. */
    c = cur_init("\r\n x", 4);
    cur_skip_space(&c);
    ck_assert_uint_eq(c.len, 4);

    c = cur_init("   ", 3);
    cur_skip_space(&c);
    ck_assert(cur_is_empty(&c));
    cur_skip_space(&c);
    ck_assert(cur_is_empty(&c));
}
END_TEST

START_TEST(test_trim_space)
{
    static const char text[] = " \t\r\nkey = v a l \t\r\n";
    struct cur c = cur_init(text, strlen(text));
    cur_trim_space(&c);
    ck_assert(cur_eq_str(&c, "key = v a l"));
    ck_assert_ptr_eq(c.p, (const uint8_t *)text + 4);

    c = cur_init(" \t\r\n \n", 6);
    cur_trim_space(&c);
    ck_assert(cur_is_empty(&c));

    c = cur_init(NULL, 0);
    cur_trim_space(&c);
    ck_assert(cur_is_empty(&c));

    c = cur_init("x", 1);
    cur_trim_space(&c);
    ck_assert(cur_eq_str(&c, "x"));
}
END_TEST

START_TEST(test_eq_str)
{
    struct cur c = cur_init("zone", 4);
    ck_assert(cur_eq_str(&c, "zone"));
    ck_assert(!cur_eq_str(&c, "zon"));
    ck_assert(!cur_eq_str(&c, "zones"));
    ck_assert(!cur_eq_str(&c, "Zone"));
    ck_assert(!cur_eq_str(&c, ""));

    /* Bytes after an embedded NUL still count. */
    c = cur_init("zo\0e", 4);
    ck_assert(!cur_eq_str(&c, "zo"));

    c = cur_init(NULL, 0);
    ck_assert(cur_eq_str(&c, ""));
}
END_TEST

/* A DNS header read as STYLE.md shows: 12 bytes parse, 11 do not. */
static bool read_header(struct cur *c, uint16_t h[6])
{
    return cur_u16(c, &h[0]) && cur_u16(c, &h[1]) && cur_u16(c, &h[2]) && cur_u16(c, &h[3]) &&
           cur_u16(c, &h[4]) && cur_u16(c, &h[5]);
}

START_TEST(test_header_truncated)
{
    static const uint8_t pkt[12] = {0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    uint16_t h[6];
    struct cur c = cur_init(pkt, sizeof(pkt));
    ck_assert(read_header(&c, h));
    ck_assert_uint_eq(h[0], 0xbeef);
    ck_assert_uint_eq(h[1], 0x0100);
    ck_assert_uint_eq(h[2], 1);
    ck_assert(cur_is_empty(&c));

    for (size_t n = 0; n < sizeof(pkt); n++) {
        c = cur_init(pkt, n);
        ck_assert_msg(!read_header(&c, h), "a %zu-byte header parsed", n);
        /* The cursor stops at the last whole field: never past the data. */
        ck_assert_uint_eq(c.len, n % 2);
        ck_assert_ptr_eq(c.p, pkt + n - n % 2);
    }
}
END_TEST

static Suite *cur_suite(void)
{
    Suite *s = suite_create("cur");
    TCase *tc = tcase_create("reads");
    tcase_add_test(tc, test_init);
    tcase_add_test(tc, test_read_exact_and_short);
    tcase_add_test(tc, test_read_network_order_high_bytes);
    tcase_add_test(tc, test_read_empty);
    tcase_add_test(tc, test_skip);
    tcase_add_test(tc, test_copy);
    tcase_add_test(tc, test_sub);
    tcase_add_test(tc, test_peek);
    tcase_add_test(tc, test_header_truncated);
    suite_add_tcase(s, tc);

    tc = tcase_create("text");
    tcase_add_test(tc, test_take_until);
    tcase_add_test(tc, test_take_until_binary);
    tcase_add_test(tc, test_skip_space);
    tcase_add_test(tc, test_trim_space);
    tcase_add_test(tc, test_eq_str);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run(cur_suite());
}
