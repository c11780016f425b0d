/* test_ca_enroll.c — ca/enroll.c: who gets which names (hex names only from
 * their own address; friendly names by holder, token, approval or open
 * policy), the token name list, and the token's text, hash and usability. */
#include "ca/enroll.h"

#include <openssl/sha.h>

#include "helpers.h"

static struct lc_prefix_set allow;
static struct policy pol;

static void setup(void)
{
    struct lc_err err = {LC_OK, ""};
    const char *ranges = "10.0.0.0/8 127.0.0.0/8 192.168.0.0/16 fd00::/8";
    memset(&allow, 0, sizeof(allow));
    TH_OK(prefix_set_parse(&allow, ranges, strlen(ranges), &err), err);
    pol = (struct policy){.zone = "home.arpa", .allow = &allow, .gateway_label = "gateway"};
}

/* checked runs policy_check on |n| names, as the enrolment does first. */
static struct policy_names checked(const char *const *names, size_t n)
{
    struct policy_names out;
    struct lc_err err = {LC_OK, ""};
    TH_OK(policy_check(&pol, &out, names, n, NULL, 0, &err), err);
    return out;
}

static struct enroll_facts facts_from(const char *peer, enum enroll_policy mode)
{
    struct enroll_facts f;
    memset(&f, 0, sizeof(f));
    ck_assert(addr_parse(&f.peer, peer, strlen(peer)));
    f.mode = mode;
    return f;
}

START_TEST(test_hex_name_from_its_address)
{
    const char *names[] = {"c0a80105.home.arpa"};
    struct policy_names pn = checked(names, 1);
    struct enroll_facts f = facts_from("192.168.1.5", ENROLL_TOKEN);
    enum enroll_verdict v = ENROLL_PENDING;
    struct lc_err err = {LC_OK, ""};
    TH_OK(enroll_decide(&v, &pn, &f, &err), err);
    ck_assert_int_eq(v, ENROLL_ISSUE);
    /* Under every policy: a hex name needs no token and no approval. */
    f.mode = ENROLL_APPROVE;
    TH_OK(enroll_decide(&v, &pn, &f, &err), err);
    ck_assert_int_eq(v, ENROLL_ISSUE);
    /* Held by another device: it follows whoever shows the address. */
    f.holder[0] = 5;
    TH_OK(enroll_decide(&v, &pn, &f, &err), err);
    ck_assert_int_eq(v, ENROLL_ISSUE);
}
END_TEST

START_TEST(test_hex_name_of_another_address)
{
    const char *names[] = {"c0a80106.home.arpa"};
    const char *v6[] = {"fd000000000000000000000000000017.home.arpa"};
    struct policy_names pn = checked(names, 1);
    struct enroll_facts f = facts_from("192.168.1.5", ENROLL_OPEN);
    enum enroll_verdict v = ENROLL_ISSUE;
    struct lc_err err = {LC_OK, ""};
    TH_FAILS(enroll_decide(&v, &pn, &f, &err), LC_E_PERM, err);
    ck_assert_ptr_nonnull(strstr(err.msg, "192.168.1.6"));
    /* With a token naming nothing else, and from IPv6, still refused. */
    f.token_names = "printer.home.arpa";
    TH_FAILS(enroll_decide(&v, &pn, &f, &err), LC_E_PERM, err);
    pn = checked(v6, 1);
    f = facts_from("fd00::18", ENROLL_OPEN);
    TH_FAILS(enroll_decide(&v, &pn, &f, &err), LC_E_PERM, err);
    f = facts_from("fd00::17", ENROLL_OPEN);
    TH_OK(enroll_decide(&v, &pn, &f, &err), err);
    ck_assert_int_eq(v, ENROLL_ISSUE);
}
END_TEST

START_TEST(test_ip_san_counts_as_its_hex_name)
{
    struct policy_names pn;
    struct lc_addr ip;
    struct enroll_facts f = facts_from("192.168.1.5", ENROLL_OPEN);
    enum enroll_verdict v;
    struct lc_err err = {LC_OK, ""};
    ck_assert(addr_parse(&ip, "192.168.1.9", 11));
    TH_OK(policy_check(&pol, &pn, NULL, 0, &ip, 1, &err), err);
    TH_FAILS(enroll_decide(&v, &pn, &f, &err), LC_E_PERM, err);
}
END_TEST

START_TEST(test_friendly_name_by_policy)
{
    const char *names[] = {"printer", "c0a80105.home.arpa"};
    struct policy_names pn = checked(names, 2);
    struct enroll_facts f = facts_from("192.168.1.5", ENROLL_APPROVE);
    enum enroll_verdict v = ENROLL_ISSUE;
    struct lc_err err = {LC_OK, ""};
    TH_OK(enroll_decide(&v, &pn, &f, &err), err);
    ck_assert_int_eq(v, ENROLL_PENDING);
    f.mode = ENROLL_OPEN;
    TH_OK(enroll_decide(&v, &pn, &f, &err), err);
    ck_assert_int_eq(v, ENROLL_ISSUE);
    f.mode = ENROLL_TOKEN;
    TH_FAILS(enroll_decide(&v, &pn, &f, &err), LC_E_PERM, err);
    ck_assert_ptr_nonnull(strstr(err.msg, "printer.home.arpa"));
    /* A hex name of another address is refused before anything waits. */
    f = facts_from("192.168.1.6", ENROLL_APPROVE);
    TH_FAILS(enroll_decide(&v, &pn, &f, &err), LC_E_PERM, err);
}
END_TEST

START_TEST(test_friendly_name_by_token)
{
    const char *names[] = {"printer", "scanner"};
    struct policy_names pn = checked(names, 2);
    struct enroll_facts f = facts_from("10.1.1.1", ENROLL_TOKEN);
    enum enroll_verdict v = ENROLL_PENDING;
    struct lc_err err = {LC_OK, ""};
    f.token_names = "scanner.home.arpa printer.home.arpa";
    TH_OK(enroll_decide(&v, &pn, &f, &err), err);
    ck_assert_int_eq(v, ENROLL_ISSUE);
    /* A token must name every friendly name; under approve a token that
     * does not is refused, not queued. */
    f.token_names = "printer.home.arpa";
    TH_FAILS(enroll_decide(&v, &pn, &f, &err), LC_E_PERM, err);
    ck_assert_ptr_nonnull(strstr(err.msg, "scanner.home.arpa"));
    f.mode = ENROLL_APPROVE;
    TH_FAILS(enroll_decide(&v, &pn, &f, &err), LC_E_PERM, err);
    f.mode = ENROLL_OPEN;
    TH_FAILS(enroll_decide(&v, &pn, &f, &err), LC_E_PERM, err);
    /* A prefix of a listed name is not that name. */
    f.token_names = "printer.home.arpa scanner.home.arpa.x";
    TH_FAILS(enroll_decide(&v, &pn, &f, &err), LC_E_PERM, err);
}
END_TEST

START_TEST(test_friendly_name_holders)
{
    const char *names[] = {"printer"};
    struct policy_names pn = checked(names, 1);
    struct enroll_facts f = facts_from("10.1.1.1", ENROLL_TOKEN);
    enum enroll_verdict v = ENROLL_PENDING;
    struct lc_err err = {LC_OK, ""};
    /* Held by this device's key: kept without a token. */
    f.device_id = 4;
    f.device_status = STORE_DEVICE_ACTIVE;
    f.holder[0] = 4;
    TH_OK(enroll_decide(&v, &pn, &f, &err), err);
    ck_assert_int_eq(v, ENROLL_ISSUE);
    /* Held by another: taken, whatever the token or policy says. */
    f.holder[0] = 5;
    f.token_names = "printer.home.arpa";
    TH_FAILS(enroll_decide(&v, &pn, &f, &err), LC_E_NAME_TAKEN, err);
    f.device_id = 0;
    f.mode = ENROLL_OPEN;
    TH_FAILS(enroll_decide(&v, &pn, &f, &err), LC_E_NAME_TAKEN, err);
}
END_TEST

START_TEST(test_device_status)
{
    const char *hex[] = {"0a010101.home.arpa"}, *friendly[] = {"printer"};
    struct policy_names pn = checked(hex, 1);
    struct enroll_facts f = facts_from("10.1.1.1", ENROLL_APPROVE);
    enum enroll_verdict v = ENROLL_ISSUE;
    struct lc_err err = {LC_OK, ""};
    /* A revoked key gets nothing, not even its own address's name. */
    f.device_id = 3;
    f.device_status = STORE_DEVICE_REVOKED;
    TH_FAILS(enroll_decide(&v, &pn, &f, &err), LC_E_PERM, err);
    /* A pending device asking again waits again. */
    pn = checked(friendly, 1);
    f.device_status = STORE_DEVICE_PENDING;
    TH_OK(enroll_decide(&v, &pn, &f, &err), err);
    ck_assert_int_eq(v, ENROLL_PENDING);
    /* An enrolled device does not become pending for a new name. */
    f.device_status = STORE_DEVICE_ACTIVE;
    TH_FAILS(enroll_decide(&v, &pn, &f, &err), LC_E_PERM, err);
}
END_TEST

START_TEST(test_names_join_and_has)
{
    const char *names[] = {"printer", "c0a80105.home.arpa", "Scanner.Home.Arpa."};
    struct policy_names pn = checked(names, 3);
    char text[STORE_ENROLL_NAMES_MAX];
    enroll_names_join(text, &pn);
    ck_assert_str_eq(text, "printer.home.arpa c0a80105.home.arpa scanner.home.arpa");
    ck_assert(enroll_names_has(text, "printer.home.arpa"));
    ck_assert(enroll_names_has(text, "scanner.home.arpa"));
    ck_assert(!enroll_names_has(text, "printer.home"));
    ck_assert(!enroll_names_has(text, "home.arpa"));
    ck_assert(!enroll_names_has(text, ""));
    ck_assert(!enroll_names_has("", "printer.home.arpa"));
    ck_assert(enroll_names_has("  a.home.arpa   b.home.arpa ", "b.home.arpa"));
    /* Sixteen names of the longest kind fit. */
    struct policy_names many;
    memset(&many, 0, sizeof(many));
    for (size_t i = 0; i < CA_MAX_NAMES; i++)
        memset(many.names[i], 'a', LC_NAME_MAX);
    many.n_names = CA_MAX_NAMES;
    enroll_names_join(text, &many);
    ck_assert_uint_eq(strlen(text), CA_MAX_NAMES * (LC_NAME_MAX + 1) - 1);
}
END_TEST

START_TEST(test_token_names)
{
    char text[STORE_ENROLL_NAMES_MAX];
    struct lc_err err = {LC_OK, ""};
    const char *good[] = {"printer", "Fax.home.arpa", "printer.home.arpa"};
    const char *hex[] = {"printer", "c0a80105"};
    const char *wild[] = {"*.home.arpa"};
    const char *outside[] = {"printer.example.com"};
    const char *gw[] = {"gateway"};
    const char *bad[] = {"under_score!"};
    const char *many[CA_MAX_NAMES + 1];
    TH_OK(enroll_token_names(text, &pol, good, 3, &err), err);
    ck_assert_str_eq(text, "printer.home.arpa fax.home.arpa");
    TH_FAILS(enroll_token_names(text, &pol, hex, 2, &err), LC_E_RESERVED, err);
    TH_FAILS(enroll_token_names(text, &pol, wild, 1, &err), LC_E_WILDCARD, err);
    TH_FAILS(enroll_token_names(text, &pol, outside, 1, &err), LC_E_ZONE, err);
    TH_FAILS(enroll_token_names(text, &pol, gw, 1, &err), LC_E_RESERVED, err);
    TH_FAILS(enroll_token_names(text, &pol, bad, 1, &err), LC_E_MALFORMED, err);
    TH_FAILS(enroll_token_names(text, &pol, good, 0, &err), LC_E_MALFORMED, err);
    for (size_t i = 0; i < CA_MAX_NAMES + 1; i++)
        many[i] = "printer";
    TH_FAILS(enroll_token_names(text, &pol, many, CA_MAX_NAMES + 1, &err), LC_E_TOO_MANY, err);
}
END_TEST

START_TEST(test_token_text_and_hash)
{
    char a[ENROLL_TOKEN_TEXT_LEN + 1], b[ENROLL_TOKEN_TEXT_LEN + 1];
    uint8_t ha[STORE_TOKEN_HASH_LEN], hb[STORE_TOKEN_HASH_LEN], want[SHA256_DIGEST_LENGTH];
    struct lc_err err = {LC_OK, ""};
    TH_OK(enroll_token_new(a, ha, &err), err);
    TH_OK(enroll_token_new(b, hb, &err), err);
    ck_assert_uint_eq(strlen(a), ENROLL_TOKEN_TEXT_LEN);
    ck_assert_str_ne(a, b);
    for (size_t i = 0; i < ENROLL_TOKEN_TEXT_LEN; i++)
        ck_assert_msg(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                             a[i]) != NULL,
                      "'%c' is not base64url", a[i]);
    SHA256((const unsigned char *)a, strlen(a), want);
    ck_assert_mem_eq(ha, want, sizeof(want));
    enroll_token_hash(hb, a, strlen(a));
    ck_assert_mem_eq(hb, want, sizeof(want));
    enroll_token_hash(hb, a, strlen(a) - 1);
    ck_assert(memcmp(hb, want, sizeof(want)) != 0);
}
END_TEST

START_TEST(test_token_usable)
{
    struct store_token t;
    struct lc_err err = {LC_OK, ""};
    memset(&t, 0, sizeof(t));
    t.created = 1000;
    t.expires = 2000;
    TH_OK(enroll_token_usable(&t, 1999, &err), err);
    TH_FAILS(enroll_token_usable(&t, 2000, &err), LC_E_PERM, err);
    ck_assert_ptr_nonnull(strstr(err.msg, "expired"));
    t.used_at = 1500;
    TH_FAILS(enroll_token_usable(&t, 1600, &err), LC_E_PERM, err);
    ck_assert_ptr_nonnull(strstr(err.msg, "used"));
}
END_TEST

static Suite *enroll_suite(void)
{
    Suite *s = suite_create("enroll");
    TCase *tc = tcase_create("decide");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_hex_name_from_its_address);
    tcase_add_test(tc, test_hex_name_of_another_address);
    tcase_add_test(tc, test_ip_san_counts_as_its_hex_name);
    tcase_add_test(tc, test_friendly_name_by_policy);
    tcase_add_test(tc, test_friendly_name_by_token);
    tcase_add_test(tc, test_friendly_name_holders);
    tcase_add_test(tc, test_device_status);
    suite_add_tcase(s, tc);

    tc = tcase_create("tokens");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_names_join_and_has);
    tcase_add_test(tc, test_token_names);
    tcase_add_test(tc, test_token_text_and_hash);
    tcase_add_test(tc, test_token_usable);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run(enroll_suite());
}
