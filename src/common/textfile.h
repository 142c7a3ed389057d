/* Reading a whole text file with a size limit, the same way for every kind of file: at
 * most max_bytes + 1 bytes are read (st_size is never trusted: a pipe, /dev/zero or a
 * FIFO has none worth believing), so an oversized input is refused without being read. */
#ifndef MMBENCH_TEXTFILE_H
#define MMBENCH_TEXTFILE_H

#include <stddef.h>

/* Reads name (relative to dir_fd, or AT_FDCWD) into a NUL-terminated *text (free() it)
 * of *len bytes. Returns 0, -EFBIG when it holds more than max_bytes, -EILSEQ when it
 * holds a NUL byte (not text), or -errno. */
int textfile_read(int dir_fd, const char *name, size_t max_bytes, char **text, size_t *len);

#endif
