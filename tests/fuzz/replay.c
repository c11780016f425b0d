/* replay.c — a main() for the fuzz targets without libFuzzer: `make check`
 * runs every file of a target's corpus through LLVMFuzzerTestOneInput, so a
 * crash found once stays fixed. Arguments are directories (every regular
 * file in them, by name, not hidden ones) or single files. The order is
 * sorted and the run deterministic. A missing or empty directory, or a file
 * that cannot be read, fails the run: a corpus that silently vanished must
 * not pass. An invariant a target checks aborts the process. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Corpus files are small; anything bigger is a mistake, not an input. */
#define REPLAY_MAX_INPUT (1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* run_file feeds one file to the target. The buffer is exactly the file's
 * size (no terminating NUL), as libFuzzer passes it, so AddressSanitizer
 * sees a read past the end. */
static int run_file(const char *path)
{
    struct stat st;
    uint8_t *buf = NULL;
    size_t used = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;

    if (fd < 0 || fstat(fd, &st) != 0) {
        fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > REPLAY_MAX_INPUT) {
        fprintf(stderr, "replay: %s is not a regular file of at most %d bytes\n", path,
                REPLAY_MAX_INPUT);
        goto out;
    }
    /* malloc(0) may return NULL; the target still gets a valid pointer. */
    if (!(buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1))) {
        fprintf(stderr, "replay: out of memory for %s\n", path);
        goto out;
    }
    while (used < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + used, (size_t)st.st_size - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "replay: cannot read %s: %s\n", path,
                    n < 0 ? strerror(errno) : "file shrank");
            goto out;
        }
        used += (size_t)n;
    }
    /* Named first, unbuffered: when the target aborts, the log ends with the input. */
    fprintf(stderr, "replay: %s (%zu bytes)\n", path, used);
    (void)LLVMFuzzerTestOneInput(buf, used);
    rc = 0;
out:
    free(buf);
    if (fd >= 0)
        close(fd);
    return rc;
}

static int not_hidden(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

/* run_dir runs every visible file of |dir| in name order (alphasort in the C
 * locale: byte order) and adds to |*n_run|. An empty directory is an error. */
static int run_dir(const char *dir, unsigned long *n_run)
{
    struct dirent **entries = NULL;
    unsigned long before = *n_run;
    int n = scandir(dir, &entries, not_hidden, alphasort), rc = 0;

    if (n < 0) {
        fprintf(stderr, "replay: cannot read directory %s: %s\n", dir, strerror(errno));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char path[4096];
        if (rc == 0) {
            int len = snprintf(path, sizeof(path), "%s/%s", dir, entries[i]->d_name);
            if (len < 0 || (size_t)len >= sizeof(path)) {
                fprintf(stderr, "replay: path too long in %s\n", dir);
                rc = -1;
            } else if (run_file(path) != 0) {
                rc = -1;
            } else {
                (*n_run)++;
            }
        }
        free(entries[i]);
    }
    free(entries);
    if (rc == 0 && *n_run == before) {
        fprintf(stderr, "replay: %s holds no inputs\n", dir);
        rc = -1;
    }
    if (rc == 0)
        printf("replay: %lu inputs from %s\n", *n_run - before, dir);
    return rc;
}

int main(int argc, char **argv)
{
    unsigned long n_run = 0;
    int failed = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR|FILE...\n"
                        "Run every corpus file through the fuzz target, in name order.\n",
                argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            failed = 1;
        } else if (S_ISDIR(st.st_mode)) {
            failed |= run_dir(argv[i], &n_run) != 0;
        } else if (run_file(argv[i]) == 0) {
            n_run++;
        } else {
            failed = 1;
        }
    }
    printf("replay: %lu inputs ran%s\n", n_run, failed ? ", with errors" : "");
    return failed ? 1 : 0;
}
