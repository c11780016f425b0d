/* page.c — a template filler small enough to audit. */
#include "http/page.h"

#include <stdlib.h>
#include <string.h>

#include "core/cur.h"

struct buf {
    char *p;
    size_t len, cap;
};

static int buf_put(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return 0;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 1;
}

static int put_escaped(struct buf *b, const char *s)
{
    for (; *s; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: break;
        }
        if (!(rep ? buf_put(b, rep, strlen(rep)) : buf_put(b, s, 1)))
            return 0;
    }
    return 1;
}

int page_render(char **out, size_t *out_len, const char *template, size_t template_len,
                const struct page_var *vars, size_t n_vars, struct lc_err *err)
{
    struct buf b = {NULL, 0, 0};
    struct cur c = cur_init(template, template_len);
    while (!cur_is_empty(&c)) {
        struct cur text, name;
        cur_take_until(&c, &text, '{');
        if (!buf_put(&b, (const char *)text.p, text.len))
            goto nomem;
        if (cur_is_empty(&c))
            break;
        if (c.len < 2 || c.p[1] != '{') {
            if (!buf_put(&b, "{", 1))
                goto nomem;
            cur_skip(&c, 1);
            continue;
        }
        cur_skip(&c, 2);
        cur_take_until(&c, &name, '}');
        if (c.len < 2 || c.p[1] != '}') {
            free(b.p);
            return lc_fail(err, LC_E_INTERNAL, "template: unclosed placeholder");
        }
        cur_skip(&c, 2);
        size_t i;
        for (i = 0; i < n_vars; i++)
            if (strlen(vars[i].name) == name.len && memcmp(vars[i].name, name.p, name.len) == 0)
                break;
        if (i == n_vars) {
            free(b.p);
            return lc_fail(err, LC_E_INTERNAL, "template: unknown placeholder {{%.*s}}",
                           (int)(name.len > 40 ? 40 : name.len), name.p);
        }
        if (!(vars[i].raw ? buf_put(&b, vars[i].value, strlen(vars[i].value))
                          : put_escaped(&b, vars[i].value)))
            goto nomem;
    }
    if (!b.p && !buf_put(&b, "", 0))
        goto nomem;
    *out = b.p;
    *out_len = b.len;
    return LC_OK;
nomem:
    free(b.p);
    return lc_fail(err, LC_E_NOMEM, "out of memory rendering a page");
}
