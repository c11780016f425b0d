/* ui.h — the admin web UI on the HTTPS listener: its files under /ui/
 * (web/ui/, compiled in) and the QR codes it shows. The pages call the admin
 * API with the bearer token the person types in; nothing is a cookie. Pure:
 * no libmicrohttpd. */
#ifndef LC_HTTP_UI_H
#define LC_HTTP_UI_H

#include "http/reply.h"

struct route_request;

/* The Content-Security-Policy of the UI's files: scripts, styles and
 * requests to this origin only. Every other HTTPS reply keeps the strict
 * default of src/http/https.c. */
extern const char http_ui_csp[];

/* GET /ui/, /ui/app.css, /ui/app.js: the files, with http_ui_csp. */
void http_ui_file(struct reply *out, const struct route_request *req);

/* POST /api/v1/qr {"text": "..."} (admin token): the text, 1 to QR_MAX_TEXT
 * bytes, as a QR code in image/svg+xml; 400 for anything else. */
void http_ui_qr(struct reply *out, const struct route_request *req);

#endif
