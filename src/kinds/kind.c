#include "kind.h"

#include <string.h>

extern const struct kind_ops kind_io;
extern const struct kind_ops kind_footprint;
extern const struct kind_ops kind_cow;
extern const struct kind_ops kind_ipc;
extern const struct kind_ops kind_claim;

static const struct kind_ops *const registry[] = {
    &kind_io, &kind_footprint, &kind_cow, &kind_ipc, &kind_claim,
};

/* In registry order (checked at start-up by kind_check_registry). */
const char *const kind_names[] = {"io", "footprint", "cow", "ipc", "claim", NULL};

_Static_assert(sizeof(registry) / sizeof(registry[0]) + KIND_FIRST_SLOT <= WORKLOAD_OPTION_SLOTS,
               "an option slot per kind");

size_t kind_count(void)
{
    return sizeof(registry) / sizeof(registry[0]);
}

const struct kind_ops *kind_get(size_t index)
{
    return index < kind_count() ? registry[index] : NULL;
}

int kind_find(const char *name)
{
    for (size_t i = 0; i < kind_count(); i++)
        if (strcmp(registry[i]->name, name) == 0)
            return (int)i;
    return -1;
}

bool kind_runs_backend(const struct kind_ops *k, size_t backend)
{
    if (!k->backends)
        return true;
    const struct backend_ops *b = backend_get(backend);
    for (size_t i = 0; b && k->backends[i]; i++)
        if (strcmp(k->backends[i], b->name) == 0)
            return true;
    return false;
}

const struct kind_ops *kind_of(const struct workload *w)
{
    const struct kind_ops *k = kind_get((size_t)w->kind);
    return k ? k : registry[0];
}

/* The default kind: the timed I/O loop of run/phase.c, on every backend, compared on
 * throughput. */
const struct kind_ops kind_io = {
    .name = "io",
    .description = "the timed I/O loop: operations on the data file, every backend",
    .io_table = true,
    .compare_metric = -1,
};
