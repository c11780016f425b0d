/* test_openapi.c — the routes the HTTPS listener answers (route_each) and
 * the operations docs/openapi.yaml describes must be the same set, both ways:
 * an undocumented route fails, and so does a documented operation nobody
 * serves. A "*" in the table is a "{param}" segment in the document.
 *
 * The document is read by a small line parser that knows only as much YAML
 * as that file uses: under the top-level "paths:", path items at an indent
 * of 2 ("  /api/v1/x/{id}:") and their operations at 4 ("    get:"), block
 * style. Anything else at those two levels fails loudly rather than being
 * skipped, so the parser cannot quietly see nothing. */
#include "helpers.h"

#include <ctype.h>

#include "core/file.h"
#include "http/routes.h"

#define MAX_OPS 256
#define OPENAPI_PATH "docs/openapi.yaml"

struct op {
    char method[8];
    char path[256];
};

struct ops {
    struct op items[MAX_OPS];
    size_t n;
};

static const char *const http_methods[] = {"get", "put", "post", "delete",
                                           "options", "head", "patch", "trace"};

static bool ops_has(const struct ops *o, const char *method, const char *path)
{
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->items[i].method, method) == 0 && strcmp(o->items[i].path, path) == 0)
            return true;
    return false;
}

/* ops_add appends; false (with |why|) when full, too long or a duplicate. */
static bool ops_add(struct ops *o, const char *method, const char *path, char *why, size_t why_len)
{
    if (o->n == MAX_OPS || strlen(method) >= sizeof(o->items[0].method) ||
        strlen(path) >= sizeof(o->items[0].path)) {
        snprintf(why, why_len, "too many or too long: %s %s", method, path);
        return false;
    }
    if (ops_has(o, method, path)) {
        snprintf(why, why_len, "%s %s twice", method, path);
        return false;
    }
    strcpy(o->items[o->n].method, method);
    strcpy(o->items[o->n].path, path);
    o->n++;
    return true;
}

static void add_route(void *ctx, const char *method, const char *path)
{
    char why[300];
    ck_assert_msg(ops_add(ctx, method, path, why, sizeof(why)), "route table: %s", why);
}

/* doc_path turns the document's "/a/{id}/b" into the table's "/a/ * /b"
 * (without the spaces); false for an unclosed or empty "{}". */
static bool doc_path(char *out, size_t out_len, const char *in, size_t in_len)
{
    size_t o = 0;
    for (size_t i = 0; i < in_len; i++) {
        if (o + 2 > out_len)
            return false;
        if (in[i] == '{') {
            const char *close = memchr(in + i, '}', in_len - i);
            if (!close || close == in + i + 1)
                return false;
            i = (size_t)(close - in);
            out[o++] = '*';
        } else if (in[i] == '}') {
            return false;
        } else {
            out[o++] = in[i];
        }
    }
    out[o] = '\0';
    return true;
}

/* doc_ops reads the operations under "paths:" of |text| into |out|. Returns
 * false with the offending line in |why| for what it does not understand. */
static bool doc_ops(struct ops *out, const char *text, char *why, size_t why_len)
{
    bool in_paths = false, path_has_op = true;
    char path[256] = "";
    size_t line_no = 0;
    memset(out, 0, sizeof(*out));
    for (const char *line = text; *line; ) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line), indent = 0, key_len;
        const char *key;
        line_no++;
        while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\r'))
            len--;
        while (indent < len && line[indent] == ' ')
            indent++;
        if (indent < len && line[indent] == '\t') {
            snprintf(why, why_len, "line %zu: a tab in the indentation", line_no);
            return false;
        }
        if (!in_paths) {
            in_paths = len == 6 && strncmp(line, "paths:", 6) == 0;
        } else if (indent == len || line[indent] == '#') {
            /* blank or a comment */
        } else if (indent == 0) {
            break; /* the next top-level key: paths are over */
        } else if (indent == 2 || indent == 4) {
            /* A path item must be a block; an operation may hold anything. */
            const char *colon;
            key = line + indent;
            key_len = len - indent;
            colon = indent == 2 ? (key[key_len - 1] == ':' ? key + key_len - 1 : NULL)
                                : memchr(key, ':', key_len);
            if (!colon || colon == key) {
                snprintf(why, why_len, "line %zu: expected a block key ending in ':': %.*s",
                         line_no, (int)len, line);
                return false;
            }
            key_len = (size_t)(colon - key);
            if (key_len >= 2 && (key[0] == '"' || key[0] == '\'') && key[key_len - 1] == key[0]) {
                key++;
                key_len -= 2;
            }
            if (indent == 2) {
                if (!path_has_op) {
                    snprintf(why, why_len, "path %s has no operation", path);
                    return false;
                }
                if (key_len == 0 || key[0] != '/' || !doc_path(path, sizeof(path), key, key_len)) {
                    snprintf(why, why_len, "line %zu: not a path: %.*s", line_no, (int)len, line);
                    return false;
                }
                path_has_op = false;
            } else {
                for (size_t m = 0; m < sizeof(http_methods) / sizeof(http_methods[0]); m++) {
                    char upper[8];
                    if (strlen(http_methods[m]) != key_len ||
                        strncmp(http_methods[m], key, key_len) != 0)
                        continue;
                    for (size_t c = 0; c <= key_len; c++)
                        upper[c] = (char)toupper((unsigned char)http_methods[m][c]);
                    if (!ops_add(out, upper, path, why, why_len))
                        return false;
                    path_has_op = true;
                }
            }
        }
        line = nl ? nl + 1 : line + len;
    }
    if (!in_paths) {
        snprintf(why, why_len, "no top-level 'paths:'");
        return false;
    }
    if (!path_has_op) {
        snprintf(why, why_len, "path %s has no operation", path);
        return false;
    }
    return true;
}

/* missing lists into |report| what |a| has and |b| lacks; returns how many. */
static size_t missing(char *report, size_t report_len, const struct ops *a, const struct ops *b)
{
    size_t n = 0, used = 0;
    report[0] = '\0';
    for (size_t i = 0; i < a->n; i++) {
        if (ops_has(b, a->items[i].method, a->items[i].path))
            continue;
        n++;
        int w = snprintf(report + used, report_len - used, " [%s %s]", a->items[i].method,
                         a->items[i].path);
        if (w > 0 && (size_t)w < report_len - used)
            used += (size_t)w;
    }
    return n;
}

static char *read_doc(void)
{
    char *text = NULL;
    size_t len = 0;
    struct lc_err err;
    ck_assert_msg(file_read(&text, &len, OPENAPI_PATH, 1024 * 1024, &err) == LC_OK,
                  "run from the repository root: %s", err.msg);
    ck_assert_uint_eq(strlen(text), len); /* no NUL inside */
    return text;
}

START_TEST(test_table_matches_document)
{
    static struct ops table, doc;
    char why[300], report[4096];
    char *text = read_doc();
    memset(&table, 0, sizeof(table));
    route_each(add_route, &table);
    ck_assert_msg(doc_ops(&doc, text, why, sizeof(why)), OPENAPI_PATH ": %s", why);
    free(text);
    ck_assert_uint_ge(table.n, 4); /* /healthz, /metrics and the admin API at least */
    ck_assert_msg(ops_has(&doc, "GET", "/healthz"), "the parser did not find GET /healthz");
    ck_assert_msg(missing(report, sizeof(report), &table, &doc) == 0,
                  "routes the server answers but " OPENAPI_PATH " does not describe:%s", report);
    ck_assert_msg(missing(report, sizeof(report), &doc, &table) == 0,
                  OPENAPI_PATH " describes operations the server does not answer:%s", report);
}
END_TEST

/* The parser on documents written to catch it out. */
START_TEST(test_parser)
{
    static struct ops doc, want;
    char why[300], report[1024];
    const char good[] =
        "openapi: 3.1.0\n"
        "components:\n"
        "  /not/a/path:\n"
        "    get: {}\n"
        "paths:\n"
        "  # a comment\n"
        "\n"
        "  /a:\n"
        "    summary: not an operation\n"
        "    get:\n"
        "      responses: {}\n"
        "    post: {}  \n"
        "      get:\n"
        "  \"/b/{id}/c\":\n"
        "    parameters: []\n"
        "    delete:\n"
        "webhooks:\n"
        "  /hook:\n"
        "    post: {}\n";
    ck_assert_msg(doc_ops(&doc, good, why, sizeof(why)), "%s", why);
    memset(&want, 0, sizeof(want));
    ck_assert(ops_add(&want, "GET", "/a", why, sizeof(why)));
    ck_assert(ops_add(&want, "POST", "/a", why, sizeof(why)));
    ck_assert(ops_add(&want, "DELETE", "/b/*/c", why, sizeof(why)));
    ck_assert_msg(missing(report, sizeof(report), &want, &doc) == 0, "missed:%s", report);
    ck_assert_msg(missing(report, sizeof(report), &doc, &want) == 0, "extra:%s", report);

    /* A route the document lacks, and a documented path nobody serves. */
    ck_assert(ops_add(&want, "GET", "/metrics", why, sizeof(why)));
    ck_assert_uint_eq(missing(report, sizeof(report), &want, &doc), 1);
    ck_assert_str_eq(report, " [GET /metrics]");
    ck_assert_uint_eq(missing(report, sizeof(report), &doc, &want), 0);

    static const char *const bad[] = {
        "openapi: 3.1.0\n",                               /* no paths */
        "paths:\n  /a:\n    get:\n  /b:\nx: 1\n",         /* a path without operations */
        "paths:\n  /a:\n",                                /* the same at the end */
        "paths:\n  /a: {get: {}}\n",                      /* flow style */
        "paths:\n  a:\n    get:\n",                       /* not a path */
        "paths:\n  /a/{id:\n    get:\n",                  /* unclosed parameter */
        "paths:\n  /a/{}:\n    get:\n",                   /* empty parameter */
        "paths:\n  /a:\n    get:\n  /a:\n    get:\n",     /* twice */
        "paths:\n  /a:\n\tget:\n",                        /* a tab */
        "paths:\n  /a:\n    get\n",                       /* no colon */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = '\0';
        ck_assert_msg(!doc_ops(&doc, bad[i], why, sizeof(why)), "accepted bad[%zu]", i);
        ck_assert_msg(why[0] != '\0', "bad[%zu] without a reason", i);
    }
}
END_TEST

static Suite *openapi_suite(void)
{
    Suite *s = suite_create("openapi");
    TCase *tc = tcase_create("routes");
    tcase_add_test(tc, test_parser);
    tcase_add_test(tc, test_table_matches_document);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run(openapi_suite());
}
