/* test_dyndns.c — src/http/dyndns.c's Basic credentials parser (RFC 7617)
 * on good and hostile headers, and the device routes answering 503 when
 * their service is not running. */
#include "http/dyndns.h"
#include "http/routes.h"

#include <openssl/evp.h>

#include "helpers.h"

/* basic builds "Basic base64(|plain|)" for |n| bytes of |plain|. */
static void basic(char *out, const char *plain, size_t n)
{
    strcpy(out, "Basic ");
    EVP_EncodeBlock((unsigned char *)out + 6, (const unsigned char *)plain, (int)n);
}

START_TEST(test_basic_good)
{
    char h[512], user[64], pass[64];
    basic(h, "1.device.lancert:c2VjcmV0+/==", 29);
    ck_assert(http_basic_parse(h, user, sizeof(user), pass, sizeof(pass)));
    ck_assert_str_eq(user, "1.device.lancert");
    ck_assert_str_eq(pass, "c2VjcmV0+/==");
    /* The scheme is case-insensitive; the password may hold ':' and be empty. */
    h[0] = 'b';
    h[1] = 'A';
    ck_assert(http_basic_parse(h, user, sizeof(user), pass, sizeof(pass)));
    basic(h, "u:a:b", 5);
    ck_assert(http_basic_parse(h, user, sizeof(user), pass, sizeof(pass)));
    ck_assert_str_eq(pass, "a:b");
    basic(h, "u:", 2);
    ck_assert(http_basic_parse(h, user, sizeof(user), pass, sizeof(pass)));
    ck_assert_str_eq(pass, "");
}
END_TEST

START_TEST(test_basic_hostile)
{
    char h[2048], user[16], pass[16], big[700];
    const char *bad[] = {NULL, "", "Basic", "Basic ", "Bearer dTpw", "Basicx dTpw",
                         "Basic dTpw!", "Basic dT=w", "Basic dTp", "Basic ====", "Digest dTpw"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!http_basic_parse(bad[i], user, sizeof(user), pass, sizeof(pass)), "%s",
                      bad[i] ? bad[i] : "NULL");
    basic(h, "nocolon", 7);
    ck_assert(!http_basic_parse(h, user, sizeof(user), pass, sizeof(pass)));
    basic(h, ":p", 2); /* no user */
    ck_assert(!http_basic_parse(h, user, sizeof(user), pass, sizeof(pass)));
    basic(h, "u\0x:p", 5); /* a NUL inside */
    ck_assert(!http_basic_parse(h, user, sizeof(user), pass, sizeof(pass)));
    basic(h, "a-user-that-is-too-long:p", 25);
    ck_assert(!http_basic_parse(h, user, sizeof(user), pass, sizeof(pass)));
    basic(h, "u:a-password-too-long", 21);
    ck_assert(!http_basic_parse(h, user, sizeof(user), pass, sizeof(pass)));
    memset(big, 'a', sizeof(big));
    big[1] = ':';
    basic(h, big, sizeof(big)); /* over the cap on the encoded form */
    ck_assert(!http_basic_parse(h, user, sizeof(user), pass, sizeof(pass)));
}
END_TEST

START_TEST(test_routes_without_service)
{
    struct http_services svc;
    memset(&svc, 0, sizeof(svc));
    const char *paths[] = {"/api/v1/renew", "/api/v1/names/printer", "/nic/update"};
    const char *methods[] = {"POST", "PUT", "GET"};
    for (size_t i = 0; i < 3; i++) {
        struct route_request req = {.method = methods[i], .path = paths[i], .svc = &svc,
                                    .authorization = "Basic dTpw"};
        struct reply r;
        route_dispatch(&r, &req);
        ck_assert_uint_eq(r.status, 503);
        reply_cleanup(&r);
        req.method = "DELETE";
        route_dispatch(&r, &req);
        ck_assert_uint_eq(r.status, 405);
        reply_cleanup(&r);
    }
}
END_TEST

static Suite *dyndns_suite(void)
{
    Suite *s = suite_create("dyndns");
    TCase *tc = tcase_create("dyndns");
    tcase_add_test(tc, test_basic_good);
    tcase_add_test(tc, test_basic_hostile);
    tcase_add_test(tc, test_routes_without_service);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run(dyndns_suite());
}
