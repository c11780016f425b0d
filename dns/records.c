/* records.c — a small chained hash table under a read-write lock. Lookups
 * are by lowercase presentation name; the table is bounded so updates cannot
 * grow it without limit. */
#include "dns/records.h"

#include "store/store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define N_BUCKETS 1024
#define MAX_ENTRIES 16384

struct entry {
    struct entry *next;
    char name[LC_NAME_MAX + 1];
    bool has_name;      /* a friendly name (set by set_addrs) */
    struct lc_addr addrs[DNS_MAX_ADDRS];
    uint8_t n_addrs;
    struct dns_txt txt[DNS_MAX_TXT];
    int64_t txt_expires[DNS_MAX_TXT];
    uint8_t n_txt;
};

struct dns_records {
    pthread_rwlock_t lock;
    struct entry *buckets[N_BUCKETS];
    size_t n_entries;
    uint32_t serial;
};

static uint32_t hash_name(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static struct entry *find(struct dns_records *r, const char *name)
{
    for (struct entry *e = r->buckets[hash_name(name) % N_BUCKETS]; e; e = e->next)
        if (strcmp(e->name, name) == 0)
            return e;
    return NULL;
}

static struct entry *find_or_add(struct dns_records *r, const char *name, struct lc_err *err)
{
    struct entry *e = find(r, name);
    if (e)
        return e;
    if (strlen(name) > LC_NAME_MAX) {
        lc_fail(err, LC_E_MALFORMED, "name too long");
        return NULL;
    }
    if (r->n_entries >= MAX_ENTRIES || !(e = calloc(1, sizeof(*e)))) {
        lc_fail(err, LC_E_TOO_MANY, "the zone holds %d names already", MAX_ENTRIES);
        return NULL;
    }
    strcpy(e->name, name);
    uint32_t b = hash_name(name) % N_BUCKETS;
    e->next = r->buckets[b];
    r->buckets[b] = e;
    r->n_entries++;
    return e;
}

static void drop_if_empty(struct dns_records *r, struct entry *e)
{
    if (e->has_name || e->n_txt)
        return;
    struct entry **p = &r->buckets[hash_name(e->name) % N_BUCKETS];
    while (*p != e)
        p = &(*p)->next;
    *p = e->next;
    free(e);
    r->n_entries--;
}

int dns_records_new(struct dns_records **out, struct lc_err *err)
{
    struct dns_records *r = calloc(1, sizeof(*r));
    if (!r)
        return lc_fail(err, LC_E_NOMEM, "out of memory");
    pthread_rwlock_init(&r->lock, NULL);
    r->serial = 1;
    *out = r;
    return LC_OK;
}

void dns_records_free(struct dns_records *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < N_BUCKETS; i++)
        for (struct entry *e = r->buckets[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    pthread_rwlock_destroy(&r->lock);
    free(r);
}

int dns_records_set_addrs(struct dns_records *r, const char *name, const struct lc_addr *addrs,
                          size_t n_addrs, struct lc_err *err)
{
    int rc = LC_OK;
    if (n_addrs > DNS_MAX_ADDRS)
        return lc_fail(err, LC_E_TOO_MANY, "at most %d addresses per name", DNS_MAX_ADDRS);
    pthread_rwlock_wrlock(&r->lock);
    struct entry *e = find_or_add(r, name, err);
    if (!e) {
        rc = err ? err->code : LC_E_NOMEM;
    } else {
        e->has_name = true;
        if (n_addrs > 0) /* no addresses may come as NULL, which memcpy never may */
            memcpy(e->addrs, addrs, n_addrs * sizeof(*addrs));
        e->n_addrs = (uint8_t)n_addrs;
        r->serial++;
    }
    pthread_rwlock_unlock(&r->lock);
    return rc;
}

void dns_records_remove(struct dns_records *r, const char *name)
{
    pthread_rwlock_wrlock(&r->lock);
    struct entry *e = find(r, name);
    if (e) {
        e->has_name = false;
        e->n_addrs = 0;
        e->n_txt = 0;
        drop_if_empty(r, e);
        r->serial++;
    }
    pthread_rwlock_unlock(&r->lock);
}

int dns_records_get_addrs(struct dns_records *r, const char *name, struct lc_addr *out)
{
    int n = -1;
    pthread_rwlock_rdlock(&r->lock);
    struct entry *e = find(r, name);
    if (e && e->has_name) {
        n = e->n_addrs;
        memcpy(out, e->addrs, (size_t)n * sizeof(*out));
    }
    pthread_rwlock_unlock(&r->lock);
    return n;
}

bool dns_records_name_of(struct dns_records *r, const struct lc_addr *a,
                         char out[LC_NAME_MAX + 1])
{
    bool found = false;
    pthread_rwlock_rdlock(&r->lock);
    for (size_t i = 0; i < N_BUCKETS && !found; i++)
        for (struct entry *e = r->buckets[i]; e && !found; e = e->next)
            for (uint8_t j = 0; e->has_name && j < e->n_addrs && !found; j++)
                if (addr_equal(&e->addrs[j], a)) {
                    memcpy(out, e->name, sizeof(e->name));
                    found = true;
                }
    pthread_rwlock_unlock(&r->lock);
    return found;
}

int dns_records_add_txt(struct dns_records *r, const char *name, const char *text, size_t len,
                        int64_t now, struct lc_err *err)
{
    int rc = LC_OK;
    if (len > DNS_TXT_MAX)
        return lc_fail(err, LC_E_TOO_BIG, "a TXT string is at most %d bytes", DNS_TXT_MAX);
    pthread_rwlock_wrlock(&r->lock);
    struct entry *e = find_or_add(r, name, err);
    if (!e) {
        rc = err ? err->code : LC_E_NOMEM;
        goto out;
    }
    /* Expired strings make room first. */
    for (uint8_t i = 0; i < e->n_txt;)
        if (e->txt_expires[i] <= now) {
            e->txt[i] = e->txt[e->n_txt - 1];
            e->txt_expires[i] = e->txt_expires[e->n_txt - 1];
            e->n_txt--;
        } else {
            i++;
        }
    for (uint8_t i = 0; i < e->n_txt; i++)
        if (e->txt[i].len == len && memcmp(e->txt[i].text, text, len) == 0) {
            e->txt_expires[i] = now + DNS_TXT_LIFETIME;
            goto out;
        }
    if (e->n_txt >= DNS_MAX_TXT) {
        rc = lc_fail(err, LC_E_TOO_MANY, "at most %d TXT strings per name", DNS_MAX_TXT);
        goto out;
    }
    e->txt[e->n_txt].len = (uint8_t)len;
    memcpy(e->txt[e->n_txt].text, text, len);
    e->txt_expires[e->n_txt++] = now + DNS_TXT_LIFETIME;
    r->serial++;
out:
    if (e)
        drop_if_empty(r, e);
    pthread_rwlock_unlock(&r->lock);
    return rc;
}

void dns_records_del_txt(struct dns_records *r, const char *name, const char *text, size_t len)
{
    pthread_rwlock_wrlock(&r->lock);
    struct entry *e = find(r, name);
    if (e) {
        for (uint8_t i = 0; i < e->n_txt;)
            if (!text || (e->txt[i].len == len && memcmp(e->txt[i].text, text, len) == 0)) {
                e->txt[i] = e->txt[e->n_txt - 1];
                e->txt_expires[i] = e->txt_expires[e->n_txt - 1];
                e->n_txt--;
            } else {
                i++;
            }
        drop_if_empty(r, e);
        r->serial++;
    }
    pthread_rwlock_unlock(&r->lock);
}

int dns_records_get_txt(struct dns_records *r, const char *name, int64_t now, struct dns_txt *out)
{
    int n = -1;
    pthread_rwlock_rdlock(&r->lock);
    struct entry *e = find(r, name);
    if (e) {
        n = 0;
        for (uint8_t i = 0; i < e->n_txt; i++)
            if (e->txt_expires[i] > now)
                out[n++] = e->txt[i];
        if (n == 0)
            n = -1;
    }
    pthread_rwlock_unlock(&r->lock);
    return n;
}

uint32_t dns_records_serial(struct dns_records *r)
{
    pthread_rwlock_rdlock(&r->lock);
    uint32_t s = r->serial;
    pthread_rwlock_unlock(&r->lock);
    return s;
}

struct load_ctx {
    struct dns_records *r;
    struct lc_err *err;
};

static int load_one(void *ctx, const char *name, const uint8_t *const *addrs,
                    const size_t *addr_lens, size_t n_addrs)
{
    struct load_ctx *l = ctx;
    struct lc_addr list[DNS_MAX_ADDRS];
    size_t n = 0;
    for (size_t i = 0; i < n_addrs && n < DNS_MAX_ADDRS; i++)
        if (addr_from_bytes(&list[n], addrs[i], addr_lens[i]))
            n++;
    return dns_records_set_addrs(l->r, name, list, n, l->err);
}

int dns_records_load(struct dns_records *r, struct store *store, struct lc_err *err)
{
    struct load_ctx l = {r, err};
    return store_names_each(store, load_one, &l, err);
}
