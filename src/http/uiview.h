/* uiview.h — the admin web UI's read-only pages for a browser without
 * JavaScript: devices, certificates and health, rendered on the gateway
 * from the same records the admin API lists. The browser's own login prompt
 * (HTTP Basic, the admin token as the password) guards them; they answer
 * GET and HEAD only and change nothing, so a credential the browser resends
 * by itself can do no harm (every change stays on the bearer-token API).
 * Pure: no libmicrohttpd. */
#ifndef LC_HTTP_UIVIEW_H
#define LC_HTTP_UIVIEW_H

#include "http/reply.h"

struct route_request;

/* The pages' Content-Security-Policy: the stylesheet of this origin, no
 * scripts, no requests, no forms. */
extern const char http_uiview_csp[];

/* GET /ui/devices.html, /ui/certificates.html, /ui/health.html: 200 HTML
 * with http_uiview_csp; 401 with the Basic challenge (and a short HTML page)
 * without the admin token; 503 without the admin or enrolment service. */
void http_uiview_devices(struct reply *out, const struct route_request *req);
void http_uiview_certificates(struct reply *out, const struct route_request *req);
void http_uiview_health(struct reply *out, const struct route_request *req);

#endif
