/* qr.h — a QR code of a short text, drawn as inline SVG by libqrencode, so a
 * phone can open a link from the landing page without anyone typing it. */
#ifndef LC_HTTP_QR_H
#define LC_HTTP_QR_H

#include <stddef.h>

#include "core/err.h"

/* The longest text qr_svg accepts: a download link, never a document. */
#define QR_MAX_TEXT 512

/* qr_svg encodes |text| (NUL-terminated, 1..QR_MAX_TEXT bytes) as a QR code
 * (error correction level M, byte mode) and writes it as a standalone <svg>
 * element: one path of dark modules inside a four-module quiet zone, titled
 * with |label| (HTML-escaped; may be NULL). *out is a new string the caller
 * frees. Empty text is LC_E_MALFORMED, longer than QR_MAX_TEXT LC_E_TOO_BIG. */
int qr_svg(char **out, size_t *out_len, const char *text, const char *label, struct lc_err *err);

#endif
