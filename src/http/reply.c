/* reply.c — JSON and problem replies, encoded through jansson. */
#include "http/reply.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const char fallback[] =
    "{\"type\":\"about:blank\",\"title\":\"Internal Server Error\",\"status\":500}";

static void set_fallback(struct reply *r)
{
    free(r->body);
    r->status = 500;
    r->type = "application/problem+json";
    r->body = strdup(fallback);
    r->body_len = r->body ? strlen(r->body) : 0;
}

static void set_encoded(struct reply *r, unsigned status, const char *type, json_t *json)
{
    char *text = json ? json_dumps(json, JSON_COMPACT) : NULL;
    json_decref(json);
    if (!text) {
        set_fallback(r);
        return;
    }
    free(r->body);
    r->status = status;
    r->type = type;
    r->body = text;
    r->body_len = strlen(text);
}

void reply_json(struct reply *r, unsigned status, void *json)
{
    set_encoded(r, status, "application/json", json);
}

void reply_problem(struct reply *r, unsigned status, const char *title, const char *detail)
{
    reply_problem_typed(r, status, "about:blank", title, detail);
}

void reply_problem_typed(struct reply *r, unsigned status, const char *type, const char *title,
                         const char *detail)
{
    set_encoded(r, status, "application/problem+json",
                json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", title, "status",
                          (int)status, "detail", detail));
}

void reply_text(struct reply *r, unsigned status, const char *text)
{
    char *copy = strdup(text);
    if (!copy) {
        set_fallback(r);
        return;
    }
    free(r->body);
    r->status = status;
    r->type = "text/plain; charset=utf-8";
    r->body = copy;
    r->body_len = strlen(copy);
}

void reply_bytes(struct reply *r, unsigned status, const char *type, const void *body, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy) {
        set_fallback(r);
        return;
    }
    memcpy(copy, body, len);
    copy[len] = '\0';
    free(r->body);
    r->status = status;
    r->type = type;
    r->body = copy;
    r->body_len = len;
}

void reply_cleanup(struct reply *r)
{
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
}
