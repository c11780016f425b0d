/* test_qr.c — src/http/qr.c: the SVG draws exactly libqrencode's modules,
 * the label is escaped, and empty or over-long text is refused. The landing
 * page's code is also decoded from a screenshot by tests/integration/
 * test_browser.sh. */
#include "helpers.h"

#include <qrencode.h>

#include "http/qr.h"

/* svg_modules reads the SVG's path back into a width x width matrix (1 =
 * dark), checking every run lies inside the symbol, and returns the width
 * the viewBox declares minus the quiet zone. */
static int svg_modules(const char *svg, unsigned char *m, int max_w)
{
    int size;
    ck_assert_int_eq(sscanf(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d", &size), 1);
    int w = size - 8;
    ck_assert_int_gt(w, 0);
    ck_assert_int_le(w, max_w);
    memset(m, 0, (size_t)w * (size_t)w);
    const char *p = strstr(svg, " d=\"");
    ck_assert_ptr_nonnull(p);
    p += 4;
    while (*p == 'M') {
        int x, y, n, n2, used;
        ck_assert_int_eq(sscanf(p, "M%d %dh%dv1h-%dz%n", &x, &y, &n, &n2, &used), 4);
        ck_assert_int_eq(n, n2);
        x -= 4;
        y -= 4;
        ck_assert(x >= 0 && y >= 0 && y < w && n > 0 && x + n <= w);
        for (int i = 0; i < n; i++) {
            ck_assert_int_eq(m[y * w + x + i], 0); /* runs never overlap */
            m[y * w + x + i] = 1;
        }
        p += used;
    }
    ck_assert(strncmp(p, "\"/></svg>", 9) == 0);
    ck_assert_int_eq(p[9], '\0');
    return w;
}

static void check_round_trip(const char *text)
{
    struct lc_err err;
    char *svg = NULL;
    size_t len = 0;
    static unsigned char m[177 * 177];
    TH_OK(qr_svg(&svg, &len, text, "a label", &err), err);
    ck_assert_uint_eq(len, strlen(svg));
    int w = svg_modules(svg, m, 177);
    QRcode *qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    ck_assert_ptr_nonnull(qr);
    ck_assert_int_eq(w, qr->width);
    for (int i = 0; i < w * w; i++)
        ck_assert_msg(m[i] == (qr->data[i] & 1), "module %d,%d differs", i % w, i / w);
    QRcode_free(qr);
    free(svg);
}

START_TEST(test_qr_draws_the_symbol)
{
    check_round_trip("http://192.168.1.1/ca.crt");
    check_round_trip("http://[fd00::1]:8080/ca.crt");
    check_round_trip("a");
    char longest[QR_MAX_TEXT + 1];
    memset(longest, 'x', QR_MAX_TEXT);
    longest[QR_MAX_TEXT] = '\0';
    check_round_trip(longest);
}
END_TEST

START_TEST(test_qr_label)
{
    struct lc_err err;
    char *svg = NULL;
    size_t len;
    TH_OK(qr_svg(&svg, &len, "x", "<a href=\"x\">&'", &err), err);
    ck_assert_ptr_nonnull(strstr(svg, "aria-label=\"&lt;a href=&quot;x&quot;&gt;&amp;&#39;\""));
    ck_assert_ptr_nonnull(strstr(svg, "<title>&lt;a href=&quot;x&quot;&gt;&amp;&#39;</title>"));
    ck_assert_ptr_null(strstr(svg, "<a "));
    free(svg);
    TH_OK(qr_svg(&svg, &len, "x", NULL, &err), err);
    ck_assert_ptr_null(strstr(svg, "<title>"));
    ck_assert_ptr_null(strstr(svg, "aria-label"));
    free(svg);
}
END_TEST

START_TEST(test_qr_refuses)
{
    struct lc_err err;
    char *svg = (char *)"untouched";
    size_t len = 7;
    TH_FAILS(qr_svg(&svg, &len, "", NULL, &err), LC_E_MALFORMED, err);
    static char too_long[QR_MAX_TEXT + 2];
    memset(too_long, 'x', QR_MAX_TEXT + 1);
    TH_FAILS(qr_svg(&svg, &len, too_long, NULL, &err), LC_E_TOO_BIG, err);
    static char huge[64 * 1024];
    memset(huge, 0xff, sizeof(huge) - 1); /* hostile bytes and far over any QR capacity */
    TH_FAILS(qr_svg(&svg, &len, huge, NULL, &err), LC_E_TOO_BIG, err);
    ck_assert_str_eq(svg, "untouched");
    ck_assert_uint_eq(len, 7);
    /* Bytes that are not text still encode (byte mode), within the limit. */
    char bin[] = {(char)0xff, (char)0x80, 0x01, '<', '"', 0};
    check_round_trip(bin);
}
END_TEST

static Suite *qr_suite(void)
{
    Suite *s = suite_create("qr");
    TCase *tc = tcase_create("svg");
    tcase_add_test(tc, test_qr_draws_the_symbol);
    tcase_add_test(tc, test_qr_label);
    tcase_add_test(tc, test_qr_refuses);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run(qr_suite());
}
