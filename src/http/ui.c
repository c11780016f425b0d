/* ui.c — the admin web UI's files and QR codes. The files are served as
 * compiled in: no file system access, no templating, no user data in them. */
#include "http/ui.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http/admin.h"
#include "http/qr.h"
#include "http/routes.h"
#include "web/assets.h"

const char http_ui_csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

struct ui_file {
    const char *path;
    const char *type;
    const unsigned char *data;
    const size_t *len;
};

static const struct ui_file ui_files[] = {
    {"/ui/", "text/html; charset=utf-8", web_ui_index_html, &web_ui_index_html_len},
    {"/ui/app.css", "text/css; charset=utf-8", web_ui_app_css, &web_ui_app_css_len},
    {"/ui/app.js", "text/javascript; charset=utf-8", web_ui_app_js, &web_ui_app_js_len},
};

void http_ui_file(struct reply *out, const struct route_request *req)
{
    for (size_t i = 0; i < sizeof(ui_files) / sizeof(ui_files[0]); i++) {
        if (strcmp(req->path, ui_files[i].path) == 0) {
            reply_bytes(out, 200, ui_files[i].type, ui_files[i].data, *ui_files[i].len);
            out->csp = http_ui_csp;
            return;
        }
    }
    reply_problem(out, 404, "Not Found", "no such file in the web UI");
}

void http_ui_qr(struct reply *out, const struct route_request *req)
{
    json_t *body = NULL;
    const char *text = NULL;
    char *svg = NULL;
    size_t svg_len;
    struct lc_err err;

    if (!http_admin_authorize(out, req))
        return;
    body = json_loadb((const char *)req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL);
    if (!body || json_unpack(body, "{s:s}", "text", &text) != 0) {
        reply_problem(out, 400, "Bad Request", "the body must be JSON: {\"text\": \"...\"}");
        goto out;
    }
    if (qr_svg(&svg, &svg_len, text, "QR code", &err) != LC_OK) {
        reply_problem(out, err.code == LC_E_NOMEM ? 500 : 400,
                      err.code == LC_E_NOMEM ? "Internal Server Error" : "Bad Request", err.msg);
        goto out;
    }
    reply_bytes(out, 200, "image/svg+xml", svg, svg_len);
out:
    free(svg);
    json_decref(body);
}
