/* page.h — filling {{name}} placeholders of a web/ template, HTML-escaped. */
#ifndef LC_HTTP_PAGE_H
#define LC_HTTP_PAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

struct page_var {
    const char *name;
    const char *value;
    bool raw; /* markup lancertd made itself (the QR code's SVG): copied unescaped */
};

/* page_render copies |template| with every {{name}} replaced by its value
 * from |vars|, escaped for HTML text and attributes unless marked raw; an unknown placeholder is
 * an error (a template bug, caught by tests). *out is a new string the caller
 * frees. */
int page_render(char **out, size_t *out_len, const char *template, size_t template_len,
                const struct page_var *vars, size_t n_vars, struct lc_err *err);

#endif
