#include "folios.h"

#include "errmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kernel-page-flags.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PIECE_BYTES     (1ULL << 30) /* mapped at a time: bounds the mincore vector */
#define PAGEMAP_BATCH   4096         /* pagemap entries read per pread */
#define FOLIO_MAX_PAGES (1ULL << (FOLIOS_ORDERS - 1))
#define PM_PRESENT      (1ULL << 63)
#define PM_PFN_MASK     ((1ULL << 55) - 1)
#define KPF_BIT(name)   (1ULL << KPF_##name)

struct census {
    int pagemap_fd;       /* /proc/self/pagemap */
    int kpageflags_fd;    /* /proc/kpageflags */
    uint64_t head_pfn;    /* the folio the previous page belonged to: first frame */
    uint64_t nr_pages;    /* its size in pages, 0 before the first */
    int order;            /* log2(nr_pages) */
    uint64_t pfns_seen;   /* present pagemap entries with a frame number */
    uint64_t pfns_hidden; /* present entries whose frame number reads as 0 */
    struct folios_census *c;
    char *err;
    size_t err_len;
};

/* Reads up to count 8-byte entries at entry index first; returns the number read (short
 * at the end of the file) or -errno. */
static long read_entries(int fd, uint64_t first, uint64_t *out, size_t count)
{
    size_t done = 0;
    while (done < count) {
        ssize_t n =
            pread(fd, (char *)out + done * 8, (count - done) * 8, (off_t)((first + done) * 8));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        done += (size_t)n / 8;
        if (n % 8)
            break;
    }
    return (long)done;
}

/* Finds the folio holding frame pfn from the compound-page flags: a page that is neither
 * head nor tail is a folio of its own; a tail's head is the nearest head before it, and a
 * folio's size is its head plus the tails that follow. Returns 0, or -ESTALE when the
 * flags do not describe a folio of at most FOLIO_MAX_PAGES (split or freed meanwhile). */
static int folio_of(struct census *s, uint64_t pfn, uint64_t *head, uint64_t *nr_pages)
{
    uint64_t flags[FOLIO_MAX_PAGES];
    if (read_entries(s->kpageflags_fd, pfn, flags, 1) != 1)
        return -ESTALE;
    if (!(flags[0] & (KPF_BIT(COMPOUND_HEAD) | KPF_BIT(COMPOUND_TAIL)))) {
        *head = pfn;
        *nr_pages = 1;
        return 0;
    }
    *head = pfn;
    if (flags[0] & KPF_BIT(COMPOUND_TAIL)) {
        uint64_t back = pfn < FOLIO_MAX_PAGES - 1 ? pfn : FOLIO_MAX_PAGES - 1;
        long n = read_entries(s->kpageflags_fd, pfn - back, flags, (size_t)back);
        if (n != (long)back)
            return -ESTALE;
        long i = n - 1;
        while (i >= 0 && (flags[i] & KPF_BIT(COMPOUND_TAIL)))
            i--;
        if (i < 0 || !(flags[i] & KPF_BIT(COMPOUND_HEAD)))
            return -ESTALE;
        *head = pfn - back + (uint64_t)i;
    }
    long n = read_entries(s->kpageflags_fd, *head + 1, flags, FOLIO_MAX_PAGES);
    if (n < 0)
        return -ESTALE;
    uint64_t tails = 0;
    while (tails < (uint64_t)n && (flags[tails] & KPF_BIT(COMPOUND_TAIL)))
        tails++;
    *nr_pages = tails + 1;
    if (*nr_pages > FOLIO_MAX_PAGES || (*nr_pages & (*nr_pages - 1)) || pfn >= *head + *nr_pages)
        return -ESTALE;
    return 0;
}

static int order_of(uint64_t nr_pages)
{
    int order = 0;
    while ((1ULL << order) < nr_pages)
        order++;
    return order;
}

/* Attributes one resident page, whose pagemap entry is entry, to its folio. */
static void count_page(struct census *s, uint64_t entry)
{
    uint64_t pfn = entry & PM_PFN_MASK;
    if (!(entry & PM_PRESENT)) {
        s->c->pages_unknown++; /* evicted between mincore and populate */
        return;
    }
    if (pfn == 0) {
        s->pfns_hidden++;
        s->c->pages_unknown++;
        return;
    }
    s->pfns_seen++;
    if (!(s->nr_pages && pfn >= s->head_pfn && pfn < s->head_pfn + s->nr_pages)) {
        uint64_t head, nr;
        if (folio_of(s, pfn, &head, &nr) < 0) {
            s->c->pages_unknown++;
            s->nr_pages = 0;
            return;
        }
        s->head_pfn = head;
        s->nr_pages = nr;
        s->order = order_of(nr);
        s->c->folios[s->order]++;
    }
    s->c->bytes[s->order] += s->c->page_bytes;
}

static uint64_t count_resident(const unsigned char *vec, uint64_t pages)
{
    uint64_t n = 0;
    for (uint64_t i = 0; i < pages; i++)
        n += vec[i] & 1;
    return n;
}

/* Maps the resident runs of the piece at map (vec from mincore) into the page tables.
 * MADV_RANDOM on the mapping keeps a fault on a page marked for readahead from starting
 * any; only pages already cached are touched, so nothing is read in. */
static int populate_resident(struct census *s, char *map, const unsigned char *vec, uint64_t pages)
{
    uint64_t page = s->c->page_bytes;
    for (uint64_t i = 0; i < pages;) {
        if (!(vec[i] & 1)) {
            i++;
            continue;
        }
        uint64_t start = i;
        while (i < pages && (vec[i] & 1))
            i++;
        if (madvise(map + start * page, (i - start) * page, MADV_POPULATE_READ) < 0) {
            int e = errno;
            if (e == EFAULT || e == ENOMEM)
                continue; /* truncated or evicted meanwhile: those pages count as unknown */
            snprintf(s->err, s->err_len, "madvise(MADV_POPULATE_READ, %llu pages): %s%s",
                     (unsigned long long)(i - start), strerror(e),
                     e == EINVAL ? " (needs Linux 5.14 or later)" : "");
            return -e;
        }
    }
    return 0;
}

static int census_pages(struct census *s, const char *map, const unsigned char *vec, uint64_t pages)
{
    uint64_t entries[PAGEMAP_BATCH];
    uint64_t first_vpage = (uint64_t)(uintptr_t)map / s->c->page_bytes;
    for (uint64_t base = 0; base < pages; base += PAGEMAP_BATCH) {
        size_t count = pages - base < PAGEMAP_BATCH ? (size_t)(pages - base) : PAGEMAP_BATCH;
        long n = read_entries(s->pagemap_fd, first_vpage + base, entries, count);
        if (n != (long)count) {
            int e = n < 0 ? (int)-n : EIO;
            snprintf(s->err, s->err_len, "read /proc/self/pagemap (%zu entries): %s", count,
                     strerror(e));
            return -e;
        }
        for (size_t i = 0; i < count; i++)
            if (vec[base + i] & 1)
                count_page(s, entries[i]);
    }
    return 0;
}

static int census_piece(struct census *s, int fd, uint64_t off, uint64_t len, unsigned char *vec)
{
    uint64_t pages = (len + s->c->page_bytes - 1) / s->c->page_bytes;
    char *map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)off);
    if (map == MAP_FAILED) {
        int e = errno;
        snprintf(s->err, s->err_len, "mmap(fd %d, offset %llu, %llu bytes, PROT_READ): %s", fd,
                 (unsigned long long)off, (unsigned long long)len, strerror(e));
        return -e;
    }
    int ret = 0;
    if (madvise(map, len, MADV_RANDOM) < 0 || mincore(map, len, vec) < 0) {
        ret = -errno;
        snprintf(s->err, s->err_len, "madvise(MADV_RANDOM)/mincore (offset %llu): %s",
                 (unsigned long long)off, strerror(-ret));
        goto out;
    }
    s->c->pages_resident += count_resident(vec, pages);
    ret = populate_resident(s, map, vec, pages);
    if (ret == 0)
        ret = census_pages(s, map, vec, pages);
    if (ret == 0) {
        if (mincore(map, len, vec) < 0) {
            ret = -errno;
            snprintf(s->err, s->err_len, "mincore (offset %llu): %s", (unsigned long long)off,
                     strerror(-ret));
        } else {
            s->c->pages_resident_after += count_resident(vec, pages);
        }
    }
out:
    munmap(map, len);
    return ret;
}

int folios_census(int fd, uint64_t size_bytes, struct folios_census *c, char *err, size_t err_len)
{
    return folios_census_range(fd, 0, size_bytes, c, err, err_len);
}

int folios_census_range(int fd, uint64_t offset, uint64_t length, struct folios_census *c,
                        char *err, size_t err_len)
{
    memset(c, 0, sizeof(*c));
    c->page_bytes = (uint64_t)sysconf(_SC_PAGESIZE);
    c->pages_total = (length + c->page_bytes - 1) / c->page_bytes;
    if (offset % c->page_bytes)
        return errmsg_set(err, err_len, -EINVAL, "folio census: offset %llu is not page-aligned",
                          (unsigned long long)offset);
    struct census s = {
        .pagemap_fd = -1, .kpageflags_fd = -1, .c = c, .err = err, .err_len = err_len};
    unsigned char *vec = NULL;
    int ret = 0;
    s.kpageflags_fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
    if (s.kpageflags_fd < 0) {
        ret = -errno;
        snprintf(err, err_len, "open /proc/kpageflags: %s%s", strerror(-ret),
                 ret == -EACCES || ret == -EPERM ? " (the folio census needs root)" : "");
        goto out;
    }
    s.pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (s.pagemap_fd < 0) {
        ret = -errno;
        snprintf(err, err_len, "open /proc/self/pagemap: %s", strerror(-ret));
        goto out;
    }
    if (length == 0)
        goto out;
    vec = malloc(PIECE_BYTES / c->page_bytes);
    if (!vec) {
        ret = -ENOMEM;
        snprintf(err, err_len, "folio census: out of memory");
        goto out;
    }
    for (uint64_t done = 0; done < length && ret == 0; done += PIECE_BYTES) {
        uint64_t len = length - done < PIECE_BYTES ? length - done : PIECE_BYTES;
        ret = census_piece(&s, fd, offset + done, len, vec);
    }
    if (ret == 0 && s.pfns_hidden && !s.pfns_seen) {
        ret = -EPERM;
        snprintf(err, err_len,
                 "/proc/self/pagemap shows no page frame numbers (the folio "
                 "census needs CAP_SYS_ADMIN)");
    }
out:
    free(vec);
    if (s.pagemap_fd >= 0)
        close(s.pagemap_fd);
    if (s.kpageflags_fd >= 0)
        close(s.kpageflags_fd);
    return ret;
}

int folios_largest_order(const struct folios_census *c)
{
    for (int order = FOLIOS_ORDERS - 1; order >= 0; order--)
        if (c->folios[order])
            return order;
    return -1;
}

int folios_format(const struct folios_census *c, char *buf, size_t len)
{
    size_t used = 0;
    int total = 0;
    if (len)
        buf[0] = '\0';
    for (int order = 0; order < FOLIOS_ORDERS; order++) {
        if (!c->folios[order])
            continue;
        double kib = (double)c->bytes[order] / 1024.0;
        int n = snprintf(used < len ? buf + used : NULL, used < len ? len - used : 0,
                         "%s%llup %.1f %s in %llu", total ? ", " : "", 1ULL << order,
                         kib >= 1024.0 ? kib / 1024.0 : kib, kib >= 1024.0 ? "MiB" : "KiB",
                         (unsigned long long)c->folios[order]);
        total += n;
        used += (size_t)n;
    }
    if (!total)
        total = snprintf(buf, len, "none cached");
    return total;
}
