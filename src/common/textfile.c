#include "textfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int textfile_read(int dir_fd, const char *name, size_t max_bytes, char **text, size_t *len)
{
    *text = NULL;
    *len = 0;
    int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t cap = 65536, used = 0;
    char *buf = malloc(cap);
    int ret = buf ? 0 : -ENOMEM;
    while (ret == 0) {
        if (used == cap - 1) {
            size_t grown_cap = cap * 2 > max_bytes + 2 ? max_bytes + 2 : cap * 2;
            if (grown_cap <= cap) {
                ret = -EFBIG; /* max_bytes + 1 read: one byte too many */
                break;
            }
            char *grown = realloc(buf, grown_cap);
            if (!grown) {
                ret = -ENOMEM;
                break;
            }
            buf = grown;
            cap = grown_cap;
        }
        ssize_t n = read(fd, buf + used, cap - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            ret = -errno;
        else if (n == 0)
            break;
        else
            used += (size_t)n;
        if (used > max_bytes)
            ret = -EFBIG;
    }
    close(fd);
    if (ret == 0 && memchr(buf, '\0', used))
        ret = -EILSEQ;
    if (ret < 0) {
        free(buf);
        return ret;
    }
    buf[used] = '\0';
    *text = buf;
    *len = used;
    return 0;
}
