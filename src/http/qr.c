/* qr.c — QR codes as SVG. libqrencode does the encoding (Debian and OpenWrt
 * package it); this file only turns its module matrix into one SVG path. */
#include "http/qr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#define QR_QUIET 4 /* modules of light border the standard asks for */

static void put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f); break;
        }
    }
}

/* put_modules draws each horizontal run of dark modules as one rectangle:
 * bit 0 of each byte libqrencode returns is the module's colour. */
static void put_modules(FILE *f, const QRcode *qr)
{
    int w = qr->width;
    for (int y = 0; y < w; y++) {
        const unsigned char *row = qr->data + (size_t)y * (size_t)w;
        for (int x = 0; x < w;) {
            if (!(row[x] & 1)) {
                x++;
                continue;
            }
            int start = x;
            while (x < w && (row[x] & 1))
                x++;
            fprintf(f, "M%d %dh%dv1h-%dz", start + QR_QUIET, y + QR_QUIET, x - start, x - start);
        }
    }
}

int qr_svg(char **out, size_t *out_len, const char *text, const char *label, struct lc_err *err)
{
    size_t len = strlen(text);
    char *buf = NULL;
    size_t buf_len = 0;
    QRcode *qr = NULL;
    FILE *f = NULL;
    int rc;

    if (len == 0)
        return lc_fail(err, LC_E_MALFORMED, "QR code: empty text");
    if (len > QR_MAX_TEXT)
        return lc_fail(err, LC_E_TOO_BIG, "QR code: text of %zu bytes; at most %d", len,
                       QR_MAX_TEXT);
    /* Byte mode, case kept: a URL's path is case-sensitive. Version 0 lets
     * libqrencode pick the smallest symbol that fits. */
    qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (!qr) {
        rc = errno == ENOMEM ? lc_fail(err, LC_E_NOMEM, "QR code: out of memory")
                             : lc_fail(err, LC_E_INTERNAL, "QR code: cannot encode %zu bytes", len);
        goto out;
    }
    f = open_memstream(&buf, &buf_len);
    if (!f) {
        rc = lc_fail(err, LC_E_NOMEM, "QR code: out of memory");
        goto out;
    }
    int size = qr->width + 2 * QR_QUIET;
    /* Black on white whatever the page's colours: scanners want dark modules
     * on a light ground. crispEdges keeps the modules sharp when scaled. */
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
            "shape-rendering=\"crispEdges\" role=\"img\"",
            size, size);
    if (label) {
        fputs(" aria-label=\"", f);
        put_escaped(f, label);
        fputs("\"><title>", f);
        put_escaped(f, label);
        fputs("</title>", f);
    } else {
        fputs(">", f);
    }
    fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"", size,
            size);
    put_modules(f, qr);
    fputs("\"/></svg>", f);
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    f = NULL;
    if (bad) {
        rc = lc_fail(err, LC_E_NOMEM, "QR code: out of memory");
        goto out;
    }
    *out = buf;
    *out_len = buf_len;
    buf = NULL;
    rc = LC_OK;
out:
    if (f)
        fclose(f);
    free(buf);
    QRcode_free(qr);
    return rc;
}
