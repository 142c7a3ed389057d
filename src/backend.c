#include "backend.h"

#include "log.h"

#include <errno.h>
#include <string.h>

static const struct backend_ops *const registry[] = {
    &backend_mmap,
    &backend_pread,
};

size_t backend_count(void)
{
    return sizeof(registry) / sizeof(registry[0]);
}

const struct backend_ops *backend_get(size_t index)
{
    return index < backend_count() ? registry[index] : NULL;
}

int backend_find(const char *name)
{
    for (size_t i = 0; i < backend_count(); i++) {
        if (strcmp(registry[i]->name, name) == 0)
            return (int)i;
    }
    return -1;
}

int backend_check_registry(void)
{
    for (size_t i = 0; i < backend_count(); i++) {
        const struct backend_ops *b = registry[i];
        const char *missing = !b->name          ? "name"
                              : !b->open        ? "open"
                              : !b->run_batch   ? "run_batch"
                              : !b->flush       ? "flush"
                              : !b->close       ? "close"
                              : !b->flush_call  ? "flush_call"
                                                : NULL;
        if (missing) {
            log_error("backend %zu (%s) lacks its required hook '%s'", i,
                      b->name ? b->name : "?", missing);
            return -EINVAL;
        }
    }
    return 0;
}
