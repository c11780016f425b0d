/* cli.h — what the verbs of `lancert` share: options common to every verb,
 * the loaded configuration, and printing. */
#ifndef LC_CLI_CLI_H
#define LC_CLI_CLI_H

#include <stdbool.h>

#include <jansson.h>

#include "core/conf.h"
#include "core/err.h"

struct cli {
    struct lc_conf conf;
    const char *config_path; /* main loads it before the verb parses its flags */
    bool config_loaded;      /* a config file was read (else built-in defaults) */
    bool allow_given;        /* --zone or --allow on the command line */
    bool json;
};

/* A verb returns LC_OK or fills |err|; main prints err and maps it to an exit
 * status. |argv[0]| is the verb's own name. */
typedef int (*cli_verb_fn)(struct cli *cli, int argc, char **argv, struct lc_err *err);

struct cli_verb {
    const char *name;
    cli_verb_fn run;
    const char *summary;
};

/* Common long options every verb accepts, as getopt_long entries. */
enum { OPT_STATE = 0x100, OPT_CONFIG, OPT_JSON, OPT_HELP, OPT_VERB_BASE };

/* Option parsing for one verb. */
struct option;
struct cli_opts {
    int argc;
    char **argv; /* argv[0] is the verb */
    const struct option *longopts; /* must include CLI_COMMON_LONGOPTS */
    const char *usage;             /* printed by --help, before CLI_COMMON_HELP */
    bool started;                  /* set by the first cli_opt_next */
};

/* CLI_OPT_STOP: the verb must return *rc now (an error, or --help shown). */
#define CLI_OPT_STOP (-2)

/* cli_opt_next returns the next option that is the verb's own, -1 after the
 * last option (optind then points at the first operand), or CLI_OPT_STOP.
 * It handles the common options (--state, --config, --json, --help) and
 * unknown options itself; its first call for a verb resets getopt. */
int cli_opt_next(struct cli *cli, struct cli_opts *o, int *rc, struct lc_err *err);

/* cli_opt_common_only parses the options of a verb that has none of its
 * own: LC_OK (operands start at optind), CLI_HELP_SHOWN, or an error. */
int cli_opt_common_only(struct cli *cli, struct cli_opts *o, struct lc_err *err);

/* cli_opt_refuse makes the error for an option this verb does not take. */
int cli_opt_refuse(const struct cli_opts *o, struct lc_err *err);

/* cli_policy_from_ca makes the policy fit the CA in |ca|: without a config
 * file or --zone/--allow the CA's own constraints are the policy; otherwise
 * the configured policy must lie within them. */
struct ca;
int cli_policy_from_ca(struct cli *cli, const struct ca *ca, struct lc_err *err);

/* cli_print_json writes |j| (stolen) to stdout, indented, and a newline. */
int cli_print_json(json_t *j, struct lc_err *err);

/* cli_dispatch runs the sub-verb named by argv[1] from |verbs|; |group| names
 * the group in messages ("ca"). */
int cli_dispatch(struct cli *cli, const char *group, const struct cli_verb *verbs, size_t n_verbs,
                 int argc, char **argv, struct lc_err *err);

/* The admin verbs that talk to lancertd's admin API (devices, token create)
 * share these options. */
enum { OPT_SERVER = 0x200, OPT_CA, OPT_TOKEN_FILE, OPT_ADMIN_VERB_BASE };

#define CLI_ADMIN_LONGOPTS                                       \
    {"server", required_argument, NULL, OPT_SERVER},             \
    {"ca", required_argument, NULL, OPT_CA},                     \
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE}

#define CLI_ADMIN_HELP                                                                   \
    "  --server URL    the gateway (default https://<gateway_name>.<zone>:<port> from\n"  \
    "                  https_listen in the config)\n"                                    \
    "  --ca FILE       the root to verify it with (default ca.pem in the state dir)\n"    \
    "  --token-file FILE  the admin token (default admin.token in the state dir)\n"

struct client;
struct cli_admin {
    const char *server, *ca_file, *token_file; /* from the options, or NULL */
    struct client *client;
    char base[512]; /* "https://host:port/api/v1" */
};

/* cli_admin_opt takes |opt| when it is one of CLI_ADMIN_LONGOPTS. */
bool cli_admin_opt(struct cli_admin *a, int opt, const char *arg);

/* cli_admin_open connects |a| to the gateway's admin API with the admin
 * token; cli_admin_close releases it. */
int cli_admin_open(struct cli *cli, struct cli_admin *a, struct lc_err *err);
void cli_admin_close(struct cli_admin *a);

/* cli_admin_call sends |method| to |a|'s base + |path| with |body| (NULL,
 * or JSON stolen) and returns the answer's JSON object in *out when the
 * status is |want|; any other status becomes an error naming |what|. */
int cli_admin_call(struct cli_admin *a, json_t **out, const char *method, const char *path,
                   json_t *body, long want, const char *what, struct lc_err *err);

/* The top-level verbs, one file each. */
int cli_ca(struct cli *cli, int argc, char **argv, struct lc_err *err);
int cli_certs(struct cli *cli, int argc, char **argv, struct lc_err *err);
int cli_devices(struct cli *cli, int argc, char **argv, struct lc_err *err);
int cli_enroll(struct cli *cli, int argc, char **argv, struct lc_err *err);
int cli_renew(struct cli *cli, int argc, char **argv, struct lc_err *err);
int cli_dns(struct cli *cli, int argc, char **argv, struct lc_err *err);
int cli_issue(struct cli *cli, int argc, char **argv, struct lc_err *err);
int cli_name(struct cli *cli, int argc, char **argv, struct lc_err *err);
int cli_status(struct cli *cli, int argc, char **argv, struct lc_err *err);
int cli_token(struct cli *cli, int argc, char **argv, struct lc_err *err);

/* What `lancert agent` hands the device verbs: the gateway, the root to
 * verify it with (NULL: DIR/ca.pem), the device's directory, and the local
 * address to connect from (NULL: the system picks). */
struct lc_addr;
struct cli_device {
    const char *server, *ca_file, *dir, *address;
};

/* cli_device_renew does what `lancert renew --dir DIR` does (printing its
 * line), for the agent. */
int cli_device_renew(struct cli *cli, const struct cli_device *dev, struct lc_err *err);

/* cli_device_move points the friendly |name| at |to| alone: PUT
 * /api/v1/names/{name}, signed with DIR/key.pem and DIR/cert.pem. */
int cli_device_move(const struct cli_device *dev, const char *name, const struct lc_addr *to,
                    struct lc_err *err);

int cli_agent(struct cli *cli, int argc, char **argv, struct lc_err *err);

/* A help text was printed: the verb succeeded but did nothing else. */
#define CLI_HELP_SHOWN (-1)

#define CLI_COMMON_LONGOPTS                                 \
    {"state", required_argument, NULL, OPT_STATE},          \
    {"config", required_argument, NULL, OPT_CONFIG},        \
    {"json", no_argument, NULL, OPT_JSON},                  \
    {"help", no_argument, NULL, OPT_HELP}

#define CLI_COMMON_HELP                                                          \
    "  --state DIR     state directory (default from the config, " LC_DEFAULT_STATE_DIR ")\n" \
    "  --config FILE   configuration file (default " LC_DEFAULT_CONFIG ")\n"       \
    "  --help          this text\n"

#endif
