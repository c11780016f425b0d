/* file.c — capped reads and atomic, durable writes. */
#include "core/file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define TEMP_PREFIX ".lancert-tmp."

int file_read(char **out, size_t *out_len, const char *path, size_t max_len,
              struct lc_err *err)
{
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    int rc = LC_E_IO;
    char *buf = NULL;
    size_t used = 0, cap = 0;

    if (fd < 0)
        return lc_fail(err, errno == ENOENT ? LC_E_NOTFOUND : LC_E_IO, "cannot open %s: %s",
                       path, strerror(errno));
    for (;;) {
        /* Grow with what arrives, never past the cap: a large up-front
         * allocation would raise glibc's mmap threshold and leave the heap
         * holding pages a small daemon does not need. */
        if (used + 1 >= cap) {
            size_t next = cap ? cap * 2 : 4096;
            if (next > max_len + 2)
                next = max_len + 2;
            if (next <= cap) {
                rc = lc_fail(err, LC_E_TOO_BIG, "%s is over the %zu-byte limit", path, max_len);
                goto out;
            }
            char *grown = realloc(buf, next);
            if (!grown) {
                rc = lc_fail(err, LC_E_NOMEM, "out of memory reading %s", path);
                goto out;
            }
            buf = grown;
            cap = next;
        }
        ssize_t n = read(fd, buf + used, cap - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = lc_fail(err, LC_E_IO, "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        used += (size_t)n;
        if (used > max_len) {
            rc = lc_fail(err, LC_E_TOO_BIG, "%s is over the %zu-byte limit", path, max_len);
            goto out;
        }
    }
    buf[used] = '\0';
    *out = buf;
    *out_len = used;
    buf = NULL;
    rc = LC_OK;
out:
    if (buf) {
        OPENSSL_cleanse(buf, cap); /* it may have held a key */
        free(buf);
    }
    if (fd != STDIN_FILENO)
        close(fd);
    return rc;
}

int file_sync_dir(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    int rc = fsync(dfd);
    close(dfd);
    return rc;
}

static int fsync_dir_of(const char *path)
{
    char copy[PATH_MAX];
    snprintf(copy, sizeof(copy), "%s", path);
    return file_sync_dir(dirname(copy));
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                      int no_replace, struct lc_err *err)
{
    char dir[PATH_MAX], tmp[PATH_MAX + 32], copy[PATH_MAX];
    const char *p = data;
    int fd = -1, rc = LC_E_IO;

    snprintf(copy, sizeof(copy), "%s", path);
    snprintf(dir, sizeof(dir), "%s", dirname(copy));
    for (int attempt = 0; fd < 0 && attempt < 8; attempt++) {
        unsigned r = (unsigned)getpid() * 2654435761u ^ (unsigned)rand() ^ (unsigned)attempt;
        snprintf(tmp, sizeof(tmp), "%s/" TEMP_PREFIX "%08x", dir, r);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0)
        return lc_fail(err, LC_E_IO, "cannot create a file in %s: %s", dir, strerror(errno));
    /* open() honours the umask; a key must end up exactly |mode|. */
    if (fchmod(fd, mode) != 0)
        goto fail;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto fail;
        p += n;
        len -= (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (no_replace) {
        /* link() fails with EEXIST instead of replacing: no window where an
         * existing file could be lost. */
        if (link(tmp, path) != 0) {
            int e = errno;
            unlink(tmp);
            return lc_fail(err, e == EEXIST ? LC_E_EXISTS : LC_E_IO, "cannot create %s: %s",
                           path, strerror(e));
        }
        unlink(tmp);
    } else if (rename(tmp, path) != 0) {
        goto fail;
    }
    if (fsync_dir_of(path) != 0)
        return lc_fail(err, LC_E_IO, "cannot sync the directory of %s: %s", path,
                       strerror(errno));
    return LC_OK;
fail:
    rc = lc_fail(err, LC_E_IO, "cannot write %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return rc;
}

void file_remove_stale_temps(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d)
        return;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, TEMP_PREFIX, strlen(TEMP_PREFIX)) == 0)
            unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
}

int file_mkdir_private(const char *dir, struct lc_err *err)
{
    if (mkdir(dir, 0700) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
            return LC_OK;
        return lc_fail(err, LC_E_IO, "%s exists and is not a directory", dir);
    }
    return lc_fail(err, LC_E_IO, "cannot create %s: %s", dir, strerror(errno));
}
