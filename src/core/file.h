/* file.h — whole-file reads with a size cap, and crash-safe writes. */
#ifndef LC_CORE_FILE_H
#define LC_CORE_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "core/err.h"

/* file_read reads all of |path| ("-" is standard input) into a new NUL-
 * terminated buffer the caller frees. Files over |max_len| bytes are refused
 * with LC_E_TOO_BIG before more than |max_len|+1 bytes are read. */
int file_read(char **out, size_t *out_len, const char *path, size_t max_len,
              struct lc_err *err);

/* file_write_atomic replaces |path| with |len| bytes so that a crash at any
 * moment leaves the old file or the new one, never a mix: a temporary file in
 * the same directory (O_EXCL, |mode|), write, fsync, rename, fsync of the
 * directory. When |no_replace| is set an existing |path| is an error
 * (LC_E_EXISTS) and is never touched. */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                      int no_replace, struct lc_err *err);

/* file_remove_stale_temps deletes temporary files a crash left in |dir|.
 * The caller must hold whatever lock keeps other writers of |dir| out (the
 * CA holds its state-directory lock), or it could delete a file in use. */
void file_remove_stale_temps(const char *dir);

/* file_sync_dir fsyncs the directory |dir| so renames in it are durable;
 * returns 0 or -1 with errno set. */
int file_sync_dir(const char *dir);

/* file_mkdir_private creates |dir| (mode 0700) if it does not exist. */
int file_mkdir_private(const char *dir, struct lc_err *err);

#endif
