/* test_metrics.c — src/core/metrics: the counters, the DNS batches, the
 * latency buckets, and the rendered text parsed back line by line as a
 * Prometheus scraper reads it (text format 0.0.4). Every test runs in a fork
 * of its own (Check's default), so the counters start at zero. */
#include "helpers.h"

#include <ctype.h>
#include <math.h>

#include "core/metrics.h"

#define MAX_SAMPLES 128

struct sample {
    char series[160]; /* name{labels} exactly as written */
    double value;
};

struct parsed {
    struct sample samples[MAX_SAMPLES];
    size_t n_samples;
    char types[32][80]; /* families with a # TYPE, in order */
    size_t n_types;
};

static bool is_name_start(char c)
{
    return isalpha((unsigned char)c) || c == '_' || c == ':';
}

static bool is_name_char(char c)
{
    return is_name_start(c) || isdigit((unsigned char)c);
}

/* name_len is the length of the metric or label name at |p|, 0 if none. */
static size_t name_len(const char *p)
{
    size_t n = 0;
    if (!is_name_start(p[0]))
        return 0;
    while (is_name_char(p[n]))
        n++;
    return n;
}

/* family_known: |name| is a declared family, or a histogram's series. */
static bool family_known(const struct parsed *ps, const char *name, size_t len)
{
    static const char *const suffixes[] = {"", "_bucket", "_sum", "_count"};
    for (size_t i = 0; i < ps->n_types; i++)
        for (size_t k = 0; k < 4; k++) {
            size_t fl = strlen(ps->types[i]);
            if (fl + strlen(suffixes[k]) == len && strncmp(name, ps->types[i], fl) == 0 &&
                strncmp(name + fl, suffixes[k], len - fl) == 0)
                return true;
        }
    return false;
}

/* parse_line checks one line (without its '\n') and records samples; a
 * message names the line that broke the format. */
static void parse_line(struct parsed *ps, const char *line)
{
    size_t n;
    const char *p = line;
    if (strncmp(line, "# HELP ", 7) == 0) {
        p += 7;
        ck_assert_msg((n = name_len(p)) > 0 && p[n] == ' ' && p[n + 1] != '\0', "bad HELP: %s",
                      line);
        return;
    }
    if (strncmp(line, "# TYPE ", 7) == 0) {
        p += 7;
        n = name_len(p);
        ck_assert_msg(n > 0 && n < sizeof(ps->types[0]) && p[n] == ' ', "bad TYPE: %s", line);
        ck_assert_msg(strcmp(p + n + 1, "counter") == 0 || strcmp(p + n + 1, "gauge") == 0 ||
                          strcmp(p + n + 1, "histogram") == 0,
                      "unknown type: %s", line);
        ck_assert(ps->n_types < 32);
        memcpy(ps->types[ps->n_types], p, n);
        ps->types[ps->n_types++][n] = '\0';
        return;
    }
    n = name_len(p);
    ck_assert_msg(n > 0, "neither HELP, TYPE nor a sample: '%s'", line);
    ck_assert_msg(family_known(ps, p, n), "sample before its TYPE: %s", line);
    p += n;
    if (*p == '{') {
        p++;
        for (;;) {
            size_t ln = name_len(p);
            ck_assert_msg(ln > 0 && p[ln] == '=' && p[ln + 1] == '"', "bad label: %s", line);
            p += ln + 2;
            while (*p && *p != '"' && *p != '\\' && *p != '\n')
                p++;
            ck_assert_msg(*p == '"', "unterminated label value: %s", line);
            p++;
            if (*p == ',') {
                p++;
                continue;
            }
            ck_assert_msg(*p == '}', "bad label list: %s", line);
            p++;
            break;
        }
    }
    ck_assert_msg(*p == ' ', "no space before the value: %s", line);
    size_t series_len = (size_t)(p - line);
    char *end;
    double v = strtod(p + 1, &end);
    ck_assert_msg(end != p + 1 && *end == '\0' && isfinite(v) && v >= 0, "bad value: %s", line);
    ck_assert(ps->n_samples < MAX_SAMPLES && series_len < sizeof(ps->samples[0].series));
    for (size_t i = 0; i < ps->n_samples; i++)
        ck_assert_msg(strncmp(ps->samples[i].series, line, series_len) != 0 ||
                          ps->samples[i].series[series_len] != '\0',
                      "series twice: %s", line);
    memcpy(ps->samples[ps->n_samples].series, line, series_len);
    ps->samples[ps->n_samples].series[series_len] = '\0';
    ps->samples[ps->n_samples++].value = v;
}

/* render_parsed renders the counters and parses every line back. */
static void render_parsed(struct parsed *ps)
{
    char text[METRICS_RENDER_MAX];
    size_t len = metrics_render(text, sizeof(text));
    memset(ps, 0, sizeof(*ps));
    ck_assert_uint_gt(len, 0);
    ck_assert_uint_eq(len, strlen(text));
    ck_assert_msg(text[len - 1] == '\n', "the text ends without a newline");
    for (char *line = text, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        *nl = '\0';
        parse_line(ps, line);
    }
}

/* value is the sample |series| ("name{labels}"), which must be there. */
static double value(const struct parsed *ps, const char *series)
{
    for (size_t i = 0; i < ps->n_samples; i++)
        if (strcmp(ps->samples[i].series, series) == 0)
            return ps->samples[i].value;
    ck_abort_msg("no sample %s", series);
    return -1;
}

static bool has(const struct parsed *ps, const char *series)
{
    for (size_t i = 0; i < ps->n_samples; i++)
        if (strcmp(ps->samples[i].series, series) == 0)
            return true;
    return false;
}

START_TEST(test_render_zero)
{
    struct parsed ps;
    render_parsed(&ps);
    ck_assert_double_eq(value(&ps, "lancert_certificates_issued_total"), 0);
    ck_assert_double_eq(value(&ps, "lancert_certificates_revoked_total"), 0);
    ck_assert_double_eq(value(&ps, "lancert_enrollments_total{outcome=\"issued\"}"), 0);
    ck_assert_double_eq(value(&ps, "lancert_enrollments_total{outcome=\"error\"}"), 0);
    /* Every assigned RCODE is listed at 0, so rate() works from the start;
     * the unassigned ones only once they happen. */
    ck_assert_double_eq(value(&ps, "lancert_dns_queries_total{rcode=\"NOERROR\"}"), 0);
    ck_assert_double_eq(value(&ps, "lancert_dns_queries_total{rcode=\"NOTZONE\"}"), 0);
    ck_assert(!has(&ps, "lancert_dns_queries_total{rcode=\"RCODE11\"}"));
    ck_assert_double_eq(value(&ps, "lancert_dns_updates_total{rcode=\"REFUSED\"}"), 0);
    ck_assert_double_eq(value(&ps, "lancert_http_requests_total{code=\"5xx\"}"), 0);
    ck_assert_double_eq(value(&ps, "lancert_http_request_duration_seconds_bucket{le=\"+Inf\"}"), 0);
    ck_assert_double_eq(value(&ps, "lancert_http_request_duration_seconds_sum"), 0);
    ck_assert_double_eq(value(&ps, "lancert_http_request_duration_seconds_count"), 0);
    ck_assert_uint_eq(ps.n_types, 8);
}
END_TEST

START_TEST(test_counters)
{
    struct parsed ps;
    metrics_add(METRICS_CERTS_ISSUED, 3);
    metrics_add(METRICS_CERTS_REVOKED, 1);
    metrics_enroll_done(METRICS_ENROLL_ISSUED);
    metrics_enroll_done(METRICS_ENROLL_PENDING);
    metrics_enroll_done(METRICS_ENROLL_PENDING);
    metrics_enroll_done(METRICS_ENROLL_REFUSED);
    metrics_enroll_done((enum metrics_enroll)99); /* out of range: an error */
    ck_assert_uint_eq(metrics_get(METRICS_CERTS_ISSUED), 3);
    render_parsed(&ps);
    ck_assert_double_eq(value(&ps, "lancert_certificates_issued_total"), 3);
    ck_assert_double_eq(value(&ps, "lancert_certificates_revoked_total"), 1);
    ck_assert_double_eq(value(&ps, "lancert_enrollments_total{outcome=\"issued\"}"), 1);
    ck_assert_double_eq(value(&ps, "lancert_enrollments_total{outcome=\"pending\"}"), 2);
    ck_assert_double_eq(value(&ps, "lancert_enrollments_total{outcome=\"refused\"}"), 1);
    ck_assert_double_eq(value(&ps, "lancert_enrollments_total{outcome=\"error\"}"), 1);
}
END_TEST

START_TEST(test_dns_batch)
{
    struct metrics_dns_batch b;
    struct parsed ps;
    metrics_dns_batch_init(&b);
    metrics_dns_batch_count(&b, false, 0);
    metrics_dns_batch_count(&b, false, 0);
    metrics_dns_batch_count(&b, false, 3);
    metrics_dns_batch_count(&b, false, 5);
    metrics_dns_batch_count(&b, false, 0x1f); /* only the low 4 bits */
    metrics_dns_batch_count(&b, true, 0);
    metrics_dns_batch_count(&b, true, 9);
    b.rate_limited += 4;
    /* Nothing is shared before the flush. */
    ck_assert_uint_eq(metrics_get(METRICS_DNS_QUERY_FIRST), 0);
    metrics_dns_batch_flush(&b);
    ck_assert_uint_eq(b.n[0], 0); /* the flush zeroes the batch */
    ck_assert_uint_eq(b.seen, 0);
    ck_assert_uint_eq(b.rate_limited, 0);
    metrics_dns_batch_flush(&b);      /* and a second adds nothing */
    render_parsed(&ps);
    ck_assert_double_eq(value(&ps, "lancert_dns_queries_total{rcode=\"NOERROR\"}"), 2);
    ck_assert_double_eq(value(&ps, "lancert_dns_queries_total{rcode=\"NXDOMAIN\"}"), 1);
    ck_assert_double_eq(value(&ps, "lancert_dns_queries_total{rcode=\"REFUSED\"}"), 1);
    ck_assert_double_eq(value(&ps, "lancert_dns_queries_total{rcode=\"RCODE15\"}"), 1);
    ck_assert_double_eq(value(&ps, "lancert_dns_queries_total{rcode=\"SERVFAIL\"}"), 0);
    ck_assert_double_eq(value(&ps, "lancert_dns_updates_total{rcode=\"NOERROR\"}"), 1);
    ck_assert_double_eq(value(&ps, "lancert_dns_updates_total{rcode=\"NOTAUTH\"}"), 1);
    ck_assert_double_eq(value(&ps, "lancert_dns_rate_limited_total"), 4);
}
END_TEST

START_TEST(test_http_histogram)
{
    struct parsed ps;
    metrics_http_request(200, 0);
    metrics_http_request(201, 500);     /* on a bound: in that bucket (le) */
    metrics_http_request(404, 501);     /* just above: the next */
    metrics_http_request(503, 2500000); /* 2.5 s */
    metrics_http_request(308, 60000000); /* a minute: +Inf only */
    metrics_http_request(101, 1);
    metrics_http_request(99, 1);  /* not a status: not counted */
    metrics_http_request(600, 1); /* nor this */
    render_parsed(&ps);
    ck_assert_double_eq(value(&ps, "lancert_http_requests_total{code=\"1xx\"}"), 1);
    ck_assert_double_eq(value(&ps, "lancert_http_requests_total{code=\"2xx\"}"), 2);
    ck_assert_double_eq(value(&ps, "lancert_http_requests_total{code=\"3xx\"}"), 1);
    ck_assert_double_eq(value(&ps, "lancert_http_requests_total{code=\"4xx\"}"), 1);
    ck_assert_double_eq(value(&ps, "lancert_http_requests_total{code=\"5xx\"}"), 1);
    const char *h = "lancert_http_request_duration_seconds";
    char s[120];
    static const struct {
        const char *le;
        double want;
    } buckets[] = {{"0.0005", 3}, {"0.001", 4}, {"0.0025", 4}, {"1", 4},
                   {"2.5", 5},    {"10", 5},    {"+Inf", 6}};
    for (size_t i = 0; i < sizeof(buckets) / sizeof(buckets[0]); i++) {
        snprintf(s, sizeof(s), "%s_bucket{le=\"%s\"}", h, buckets[i].le);
        ck_assert_msg(value(&ps, s) == buckets[i].want, "%s = %g, want %g", s, value(&ps, s),
                      buckets[i].want);
    }
    snprintf(s, sizeof(s), "%s_count", h);
    ck_assert_double_eq(value(&ps, s), 6);
    snprintf(s, sizeof(s), "%s_sum", h);
    ck_assert_double_eq_tol(value(&ps, s), 62.501002, 1e-9);
    /* Buckets never decrease, in the order they are written. */
    double last = 0;
    size_t n_buckets = 0;
    for (size_t i = 0; i < ps.n_samples; i++)
        if (strncmp(ps.samples[i].series, "lancert_http_request_duration_seconds_bucket", 44) == 0) {
            ck_assert(ps.samples[i].value >= last);
            last = ps.samples[i].value;
            n_buckets++;
        }
    ck_assert_uint_eq(n_buckets, METRICS_N_LATENCY + 1);
}
END_TEST

/* Large counters are written whole, not in exponent notation. */
START_TEST(test_render_large)
{
    char text[METRICS_RENDER_MAX];
    metrics_add(METRICS_CERTS_ISSUED, UINT64_C(18446744073709551615));
    ck_assert_uint_gt(metrics_render(text, sizeof(text)), 0);
    ck_assert_ptr_nonnull(strstr(text, "\nlancert_certificates_issued_total 18446744073709551615\n"));
}
END_TEST

/* Every buffer too small gives 0 and writes inside it only (ASan); the
 * exact size that holds the text and its NUL gives the text. */
START_TEST(test_render_small)
{
    char full[METRICS_RENDER_MAX];
    size_t len = metrics_render(full, sizeof(full));
    ck_assert_uint_gt(len, 0);
    ck_assert_uint_lt(len, METRICS_RENDER_MAX / 2); /* room to grow */
    ck_assert_uint_eq(metrics_render(NULL, 0), 0);
    for (size_t cap = 1; cap <= len; cap++) {
        char *buf = malloc(cap);
        ck_assert_ptr_nonnull(buf);
        ck_assert_uint_eq(metrics_render(buf, cap), 0);
        free(buf);
    }
    char *buf = malloc(len + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(metrics_render(buf, len + 1), len);
    ck_assert_str_eq(buf, full);
    free(buf);
}
END_TEST

static Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("metrics");
    tcase_add_test(tc, test_render_zero);
    tcase_add_test(tc, test_counters);
    tcase_add_test(tc, test_dns_batch);
    tcase_add_test(tc, test_http_histogram);
    tcase_add_test(tc, test_render_large);
    tcase_add_test(tc, test_render_small);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run(metrics_suite());
}
