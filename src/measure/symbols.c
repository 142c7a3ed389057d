#include "symbols.h"

#include "log.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

/* Strings that live as long as their owner: carved out of 64 KiB chunks. */
struct arena_chunk {
    struct arena_chunk *next; /* older */
    size_t used_bytes;        /* of data */
    size_t size_bytes;        /* of data */
    char data[];
};

struct arena {
    struct arena_chunk *head; /* the newest chunk, which is filled first */
};

static char *arena_alloc(struct arena *a, size_t len)
{
    struct arena_chunk *c = a->head;
    if (!c || c->size_bytes - c->used_bytes < len) {
        size_t size = len > 65536 ? len : 65536;
        c = malloc(sizeof(*c) + size);
        if (!c)
            return NULL;
        c->next = a->head;
        c->used_bytes = 0;
        c->size_bytes = size;
        a->head = c;
    }
    char *p = c->data + c->used_bytes;
    c->used_bytes += len;
    return p;
}

static void arena_free(struct arena *a)
{
    while (a->head) {
        struct arena_chunk *next = a->head->next;
        free(a->head);
        a->head = next;
    }
}

/* ---- symbol tables ---- */

struct symtab_entry {
    uint64_t start; /* address */
    uint64_t end;   /* address after the last byte; set by symtab_sort when unsized */
    const char *name;
    bool sized;  /* end is the symbol's own */
    bool global; /* binding, to choose among aliases */
};

struct symtab {
    struct symtab_entry *entries; /* sorted by start after symtab_sort */
    size_t count;                 /* entries in use */
    size_t capacity;              /* entries allocated */
    struct arena names;           /* the entries' names */
};

struct symtab *symtab_new(void)
{
    struct symtab *t = calloc(1, sizeof(*t));
    if (!t)
        log_error("symbol table: out of memory");
    return t;
}

void symtab_free(struct symtab *t)
{
    if (!t)
        return;
    free(t->entries);
    arena_free(&t->names);
    free(t);
}

size_t symtab_count(const struct symtab *t)
{
    return t->count;
}

int symtab_add(struct symtab *t, uint64_t start, uint64_t size, const char *name, bool global)
{
    if (t->count == t->capacity) {
        size_t capacity = t->capacity ? t->capacity * 2 : 1024;
        struct symtab_entry *e = realloc(t->entries, capacity * sizeof(*e));
        if (!e)
            return -ENOMEM;
        t->entries = e;
        t->capacity = capacity;
    }
    size_t len = strlen(name) + 1;
    char *copy = arena_alloc(&t->names, len);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, name, len);
    t->entries[t->count++] = (struct symtab_entry){
        .start = start,
        .end = start + size,
        .name = copy,
        .sized = size > 0,
        .global = global,
    };
    return 0;
}

static size_t leading_underscores(const char *s)
{
    size_t n = 0;
    while (s[n] == '_')
        n++;
    return n;
}

static int entry_cmp(const void *a, const void *b)
{
    const struct symtab_entry *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    size_t ux = leading_underscores(x->name), uy = leading_underscores(y->name);
    if (ux != uy)
        return ux < uy ? -1 : 1;
    if (x->global != y->global)
        return x->global ? -1 : 1;
    size_t lx = strlen(x->name), ly = strlen(y->name);
    if (lx != ly)
        return lx < ly ? -1 : 1;
    return strcmp(x->name, y->name);
}

void symtab_sort(struct symtab *t)
{
    if (t->count == 0)
        return;
    qsort(t->entries, t->count, sizeof(t->entries[0]), entry_cmp);
    /* Keep the first (preferred) alias at each address, with the largest size any
     * alias declares. */
    size_t kept = 0;
    for (size_t i = 0; i < t->count; i++) {
        struct symtab_entry *e = &t->entries[i], *last = kept ? &t->entries[kept - 1] : NULL;
        if (last && last->start == e->start) {
            if (e->sized && (!last->sized || e->end > last->end)) {
                last->end = e->end;
                last->sized = true;
            }
            continue;
        }
        t->entries[kept++] = *e;
    }
    t->count = kept;
    for (size_t i = 0; i < kept; i++) {
        struct symtab_entry *e = &t->entries[i];
        if (!e->sized)
            e->end = i + 1 < kept ? t->entries[i + 1].start : e->start + SYMTAB_UNSIZED_BYTES;
    }
}

const char *symtab_lookup(const struct symtab *t, uint64_t addr)
{
    size_t lo = 0, hi = t->count; /* the answer is below hi */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->entries[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    const struct symtab_entry *e = &t->entries[lo - 1];
    return addr < e->end ? e->name : NULL;
}

int symtab_read_kallsyms(struct symtab *t, const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        int e = errno;
        log_error("open(%s): %s", path, strerror(e));
        return -e;
    }
    char line[1024];
    size_t lines = 0, nonzero = 0;
    int ret = 0;
    while (fgets(line, sizeof(line), f)) {
        char *p = line, *end;
        uint64_t addr = strtoull(p, &end, 16);
        if (end == p || *end != ' ')
            continue;
        char type = end[1];
        if (type == '\0' || end[2] != ' ')
            continue;
        lines++;
        if (addr != 0)
            nonzero++;
        if (type != 't' && type != 'T' && type != 'w' && type != 'W')
            continue;
        char *name = end + 3;
        name[strcspn(name, "\n")] = '\0';
        char *module = strchr(name, '\t');
        char full[1024];
        if (module) {
            *module++ = '\0';
            snprintf(full, sizeof(full), "%s %s", name, module);
            name = full;
        }
        if (addr != 0 && (ret = symtab_add(t, addr, 0, name, type == 'T' || type == 'W')) < 0)
            break;
    }
    fclose(f);
    if (ret < 0) {
        log_error("reading %s: %s", path, strerror(-ret));
        return ret;
    }
    if (lines > 0 && nonzero == 0)
        return -EPERM;
    symtab_sort(t);
    return 0;
}

/* ---- ELF ---- */

/* An ELF file or an image in memory (the vDSO), read with bounds checks: the files are
 * whatever a process mapped, so nothing in them is trusted. */
struct elf_image {
    int fd;                   /* or -1 */
    const unsigned char *mem; /* when fd < 0 */
    uint64_t size_bytes;
};

static int elf_read(const struct elf_image *im, uint64_t offset, void *buf, size_t len)
{
    if (offset > im->size_bytes || len > im->size_bytes - offset)
        return -EINVAL;
    if (im->fd < 0) {
        memcpy(buf, im->mem + offset, len);
        return 0;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(im->fd, (char *)buf + done, len - done, (off_t)(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        done += (size_t)n;
    }
    return 0;
}

struct elf_load {
    uint64_t offset_bytes; /* of the segment in the file */
    uint64_t vaddr;        /* its link-time address */
    uint64_t size_bytes;   /* in the file */
};

#define ELF_MAX_LOADS  16
#define ELF_MAX_STRTAB (256u << 20) /* bytes: larger string tables are refused */
#define ELF_SYM_BATCH  1024

/* Adds the symbols of one SHT_SYMTAB or SHT_DYNSYM section. */
static int elf_add_symbols(const struct elf_image *im, const Elf64_Shdr *sh,
                           const Elf64_Shdr *strsh, struct symtab *t)
{
    if (sh->sh_entsize != sizeof(Elf64_Sym) || strsh->sh_size > ELF_MAX_STRTAB)
        return -EINVAL;
    char *str = malloc(strsh->sh_size + 1);
    Elf64_Sym *syms = malloc(ELF_SYM_BATCH * sizeof(*syms));
    int ret = -ENOMEM;
    if (!str || !syms)
        goto out;
    if ((ret = elf_read(im, strsh->sh_offset, str, strsh->sh_size)) < 0)
        goto out;
    str[strsh->sh_size] = '\0';
    uint64_t count = sh->sh_size / sizeof(Elf64_Sym);
    for (uint64_t i = 0; i < count; i += ELF_SYM_BATCH) {
        size_t batch = count - i < ELF_SYM_BATCH ? (size_t)(count - i) : ELF_SYM_BATCH;
        ret = elf_read(im, sh->sh_offset + i * sizeof(Elf64_Sym), syms, batch * sizeof(*syms));
        if (ret < 0)
            goto out;
        for (size_t k = 0; k < batch; k++) {
            const Elf64_Sym *s = &syms[k];
            int type = ELF64_ST_TYPE(s->st_info);
            if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s->st_shndx == SHN_UNDEF ||
                s->st_value == 0 || s->st_name >= strsh->sh_size || str[s->st_name] == '\0')
                continue;
            int bind = ELF64_ST_BIND(s->st_info);
            ret = symtab_add(t, s->st_value, s->st_size, str + s->st_name, bind != STB_LOCAL);
            if (ret < 0)
                goto out;
        }
    }
    ret = 0;
out:
    free(str);
    free(syms);
    return ret;
}

#define ELF_BUILD_ID_MAX 64 /* bytes */
#define ELF_MAX_NOTES    65536

/* Finds the NT_GNU_BUILD_ID note in the PT_NOTE segment ph; its length, or 0. */
static size_t elf_build_id(const struct elf_image *im, const Elf64_Phdr *ph,
                           unsigned char id[ELF_BUILD_ID_MAX])
{
    unsigned char *notes = ph->p_filesz <= ELF_MAX_NOTES ? malloc(ph->p_filesz + 1) : NULL;
    size_t len = 0;
    if (!notes || elf_read(im, ph->p_offset, notes, ph->p_filesz) < 0)
        goto out;
    for (uint64_t at = 0; at + sizeof(Elf64_Nhdr) <= ph->p_filesz;) {
        Elf64_Nhdr nh;
        memcpy(&nh, notes + at, sizeof(nh));
        uint64_t name_at = at + sizeof(nh);
        uint64_t desc_at = name_at + (((uint64_t)nh.n_namesz + 3) & ~3ULL);
        uint64_t next = desc_at + (((uint64_t)nh.n_descsz + 3) & ~3ULL);
        if (next > ph->p_filesz)
            break;
        if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
            memcmp(notes + name_at, "GNU", 4) == 0 && nh.n_descsz > 0 &&
            nh.n_descsz <= ELF_BUILD_ID_MAX) {
            memcpy(id, notes + desc_at, nh.n_descsz);
            len = nh.n_descsz;
            break;
        }
        at = next;
    }
out:
    free(notes);
    return len;
}

/* Adds the function symbols of an ELF64 image to t (unsorted), and where asked for, fills
 * loads[] with its PT_LOAD segments (at most ELF_MAX_LOADS) and id with its build id. */
static int elf_parse(const struct elf_image *im, struct symtab *t, struct elf_load *loads,
                     unsigned *n_loads, unsigned char id[ELF_BUILD_ID_MAX], size_t *id_len)
{
    Elf64_Ehdr eh;
    int ret = elf_read(im, 0, &eh, sizeof(eh));
    if (ret < 0)
        return ret;
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
        eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_shentsize != sizeof(Elf64_Shdr) ||
        (eh.e_phnum > 0 && eh.e_phentsize != sizeof(Elf64_Phdr)))
        return -ENOEXEC;
    if (loads)
        *n_loads = 0;
    if (id)
        *id_len = 0;
    for (unsigned i = 0; i < eh.e_phnum && loads; i++) {
        Elf64_Phdr ph;
        if ((ret = elf_read(im, eh.e_phoff + (uint64_t)i * sizeof(ph), &ph, sizeof(ph))) < 0)
            return ret;
        if (ph.p_type == PT_LOAD && *n_loads < ELF_MAX_LOADS)
            loads[(*n_loads)++] = (struct elf_load){ph.p_offset, ph.p_vaddr, ph.p_filesz};
        if (ph.p_type == PT_NOTE && id && *id_len == 0)
            *id_len = elf_build_id(im, &ph, id);
    }
    uint64_t shnum = eh.e_shnum;
    if (shnum == 0 && eh.e_shoff != 0) { /* more than SHN_LORESERVE sections */
        Elf64_Shdr sh0;
        if ((ret = elf_read(im, eh.e_shoff, &sh0, sizeof(sh0))) < 0)
            return ret;
        shnum = sh0.sh_size;
    }
    if (shnum > im->size_bytes / sizeof(Elf64_Shdr))
        return -ENOEXEC;
    Elf64_Shdr *sh = malloc(shnum ? shnum * sizeof(*sh) : 1);
    if (!sh)
        return -ENOMEM;
    if ((ret = elf_read(im, eh.e_shoff, sh, shnum * sizeof(*sh))) < 0)
        goto out;
    for (uint64_t i = 0; i < shnum; i++) {
        if ((sh[i].sh_type != SHT_SYMTAB && sh[i].sh_type != SHT_DYNSYM) || sh[i].sh_link >= shnum)
            continue;
        if ((ret = elf_add_symbols(im, &sh[i], &sh[sh[i].sh_link], t)) < 0)
            goto out;
    }
    ret = 0;
out:
    free(sh);
    return ret;
}

/* Opens path for reading its symbols; ino: the inode it must have (0: any). */
static int elf_open(const char *path, uint64_t ino, struct elf_image *im)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (ino != 0 && st.st_ino != ino)) {
        close(fd);
        return -ESTALE; /* replaced since it was mapped, or not a file */
    }
    *im = (struct elf_image){.fd = fd, .size_bytes = (uint64_t)st.st_size};
    return 0;
}

int symtab_read_elf(struct symtab *t, const char *path)
{
    struct elf_image im = {.fd = -1};
    int ret = elf_open(path, 0, &im);
    if (ret < 0) {
        log_debug("symbols of %s: %s", path, strerror(-ret));
        return ret;
    }
    ret = elf_parse(&im, t, NULL, NULL, NULL, NULL);
    close(im.fd);
    if (ret < 0)
        log_debug("symbols of %s: %s", path, strerror(-ret));
    symtab_sort(t);
    return ret;
}

/* ---- processes and their files ---- */

enum dso_state { DSO_UNREAD, DSO_READ, DSO_FAILED };

struct dso {
    const char *path;  /* as in /proc/PID/maps; interned */
    const char *label; /* the file name, for "func [label]"; interned */
    uint64_t ino;      /* from maps; 0 for the vDSO */
    bool vdso;         /* read from this process's memory, not from a file */
    enum dso_state state;
    struct symtab *syms;                  /* after DSO_READ */
    struct elf_load loads[ELF_MAX_LOADS]; /* file offsets to link-time addresses */
    unsigned n_loads;                     /* entries of loads */
};

struct mapping {
    uint64_t start;       /* address */
    uint64_t end;         /* address after the mapping */
    uint64_t pgoff_bytes; /* file offset of start */
    int dso;              /* index into symbols.dsos; -1: memory of no file */
};

struct process {
    pid_t pid;            /* thread group id */
    const char *exe;      /* path of its executable, interned; NULL if unknown */
    struct mapping *maps; /* executable ones, sorted by start */
    size_t count;         /* entries of maps */
    size_t capacity;      /* entries allocated */
};

struct symbols {
    struct symtab *kernel; /* NULL until loaded */
    struct dso *dsos;      /* every file mapped by a process, each once */
    size_t n_dsos;         /* entries of dsos */
    struct process *procs; /* added by symbols_add_process */
    size_t n_procs;        /* entries of procs */
    /* The interned strings: an open-addressing set, a power of two in size. */
    const char **strings;    /* NULL: free slot */
    size_t n_strings;        /* in use */
    size_t strings_capacity; /* slots */
    struct arena arena;      /* the strings' text */
    const char *unknown;     /* interned SYMBOLS_UNKNOWN */
};

static char sanitise(char c)
{
    return c == ';' || (unsigned char)c < 0x20 || c == 0x7f ? '?' : c;
}

static uint64_t string_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)sanitise(*s)) * 1099511628211ULL;
    return h;
}

static bool string_equal_sanitised(const char *interned, const char *s)
{
    for (; *interned && *s; interned++, s++)
        if (*interned != sanitise(*s))
            return false;
    return *interned == *s;
}

static int strings_grow(struct symbols *s)
{
    size_t capacity = s->strings_capacity ? s->strings_capacity * 2 : 4096;
    const char **table = calloc(capacity, sizeof(*table));
    if (!table)
        return -ENOMEM;
    for (size_t i = 0; i < s->strings_capacity; i++) {
        const char *str = s->strings[i];
        if (!str)
            continue;
        size_t k = string_hash(str) & (capacity - 1);
        while (table[k])
            k = (k + 1) & (capacity - 1);
        table[k] = str;
    }
    free(s->strings);
    s->strings = table;
    s->strings_capacity = capacity;
    return 0;
}

const char *symbols_intern(struct symbols *s, const char *name)
{
    if (2 * (s->n_strings + 1) > s->strings_capacity && strings_grow(s) < 0)
        return NULL;
    size_t mask = s->strings_capacity - 1;
    size_t k = string_hash(name) & mask;
    for (; s->strings[k]; k = (k + 1) & mask)
        if (string_equal_sanitised(s->strings[k], name))
            return s->strings[k];
    size_t len = strlen(name);
    char *copy = arena_alloc(&s->arena, len + 1);
    if (!copy)
        return NULL;
    for (size_t i = 0; i < len; i++)
        copy[i] = sanitise(name[i]);
    copy[len] = '\0';
    s->strings[k] = copy;
    s->n_strings++;
    return copy;
}

struct symbols *symbols_new(void)
{
    struct symbols *s = calloc(1, sizeof(*s));
    if (!s || !(s->unknown = symbols_intern(s, SYMBOLS_UNKNOWN))) {
        log_error("symbols: out of memory");
        symbols_free(s);
        return NULL;
    }
    return s;
}

void symbols_free(struct symbols *s)
{
    if (!s)
        return;
    symtab_free(s->kernel);
    for (size_t i = 0; i < s->n_dsos; i++)
        symtab_free(s->dsos[i].syms);
    free(s->dsos);
    for (size_t i = 0; i < s->n_procs; i++)
        free(s->procs[i].maps);
    free(s->procs);
    free(s->strings);
    arena_free(&s->arena);
    free(s);
}

int symbols_load_kernel(struct symbols *s)
{
    if (s->kernel)
        return 0;
    struct symtab *t = symtab_new();
    if (!t)
        return -ENOMEM;
    int ret = symtab_read_kallsyms(t, "/proc/kallsyms");
    if (ret < 0) {
        if (ret == -EPERM)
            log_warn("/proc/kallsyms shows no addresses (kernel.kptr_restrict, or not root): "
                     "kernel frames will be %s",
                     SYMBOLS_UNKNOWN);
        symtab_free(t);
        return ret;
    }
    s->kernel = t;
    return 0;
}

const char *symbols_kernel(struct symbols *s, uint64_t addr)
{
    const char *name = s->kernel ? symtab_lookup(s->kernel, addr) : NULL;
    return name ? symbols_intern(s, name) : NULL;
}

static struct process *find_process(struct symbols *s, pid_t pid)
{
    for (size_t i = 0; i < s->n_procs; i++)
        if (s->procs[i].pid == pid)
            return &s->procs[i];
    return NULL;
}

/* The index of the file (path, ino), added if new; -1 without memory. */
static int find_dso(struct symbols *s, const char *path, uint64_t ino)
{
    const char *p = symbols_intern(s, path);
    if (!p)
        return -1;
    for (size_t i = 0; i < s->n_dsos; i++)
        if (s->dsos[i].path == p && s->dsos[i].ino == ino)
            return (int)i;
    struct dso *d = realloc(s->dsos, (s->n_dsos + 1) * sizeof(*d));
    if (!d)
        return -1;
    s->dsos = d;
    const char *slash = strrchr(path, '/');
    bool vdso = strcmp(path, "[vdso]") == 0;
    d[s->n_dsos] = (struct dso){
        .path = p,
        .label = symbols_intern(s, vdso    ? "vdso"
                                   : slash ? slash + 1
                                           : path),
        .ino = ino,
        .vdso = vdso,
    };
    if (!d[s->n_dsos].label)
        return -1;
    return (int)s->n_dsos++;
}

static int mapping_cmp(const void *a, const void *b)
{
    const struct mapping *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static bool overlaps_known(const struct process *pr, uint64_t start, uint64_t end)
{
    for (size_t i = 0; i < pr->count; i++)
        if (start < pr->maps[i].end && pr->maps[i].start < end)
            return true;
    return false;
}

int symbols_add_process(struct symbols *s, pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f) {
        int e = errno;
        log_error("open(%s): %s", path, strerror(e));
        return -e;
    }
    struct process *pr = find_process(s, pid);
    if (!pr) {
        struct process *procs = realloc(s->procs, (s->n_procs + 1) * sizeof(*procs));
        if (!procs) {
            fclose(f);
            return -ENOMEM;
        }
        s->procs = procs;
        pr = &procs[s->n_procs++];
        *pr = (struct process){.pid = pid};
        char exe[PATH_MAX];
        snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
        ssize_t n = readlink(path, exe, sizeof(exe) - 1);
        if (n > 0) {
            exe[n] = '\0';
            pr->exe = symbols_intern(s, exe);
        }
    }
    char line[PATH_MAX + 128];
    size_t old_count = pr->count;
    int ret = 0;
    while (fgets(line, sizeof(line), f)) {
        unsigned long long start, end, pgoff, ino;
        char perms[8];
        int name_at = 0;
        if (sscanf(line, "%llx-%llx %7s %llx %*x:%*x %llu %n", &start, &end, perms, &pgoff, &ino,
                   &name_at) < 5 ||
            !strchr(perms, 'x'))
            continue;
        char *name = line + name_at;
        name[strcspn(name, "\n")] = '\0';
        if (overlaps_known(pr, start, end))
            continue;
        int dso = -1;
        if (name[0] == '/' || strcmp(name, "[vdso]") == 0) {
            if ((dso = find_dso(s, name, ino)) < 0) {
                ret = -ENOMEM;
                break;
            }
        }
        if (pr->count == pr->capacity) {
            size_t capacity = pr->capacity ? pr->capacity * 2 : 32;
            struct mapping *m = realloc(pr->maps, capacity * sizeof(*m));
            if (!m) {
                ret = -ENOMEM;
                break;
            }
            pr->maps = m;
            pr->capacity = capacity;
        }
        pr->maps[pr->count++] = (struct mapping){start, end, pgoff, dso};
    }
    fclose(f);
    if (pr->count > old_count)
        qsort(pr->maps, pr->count, sizeof(pr->maps[0]), mapping_cmp);
    if (ret < 0)
        log_error("reading /proc/%d/maps: %s", (int)pid, strerror(-ret));
    return ret;
}

/* The vDSO is the same image in every process of this kernel: read this process's. */
static int vdso_image(struct elf_image *im)
{
    unsigned long base = getauxval(AT_SYSINFO_EHDR);
    if (base == 0)
        return -ENOENT;
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f)
        return -errno;
    char line[PATH_MAX + 128];
    int ret = -ENOENT;
    while (fgets(line, sizeof(line), f)) {
        unsigned long long start, end;
        if (sscanf(line, "%llx-%llx", &start, &end) == 2 && start == base &&
            strstr(line, "[vdso]")) {
            *im = (struct elf_image){
                .fd = -1, .mem = (const unsigned char *)(uintptr_t)base, .size_bytes = end - start};
            ret = 0;
            break;
        }
    }
    fclose(f);
    return ret;
}

static void dso_read(struct dso *d)
{
    d->state = DSO_FAILED;
    if (!(d->syms = symtab_new()))
        return;
    struct elf_image im = {.fd = -1};
    unsigned char id[ELF_BUILD_ID_MAX];
    size_t id_len = 0;
    int ret = d->vdso ? vdso_image(&im) : elf_open(d->path, d->ino, &im);
    if (ret == 0) {
        ret = elf_parse(&im, d->syms, d->loads, &d->n_loads, id, &id_len);
        if (im.fd >= 0)
            close(im.fd);
    }
    if (ret < 0) {
        log_debug("symbols of %s: %s", d->path, strerror(-ret));
        return;
    }
    /* Distributions strip .symtab into /usr/lib/debug/.build-id/xx/yyyy.debug (libc6-dbg
     * and the -dbgsym packages): the static functions are there, at the same addresses. */
    if (id_len > 1) {
        char path[64 + 2 * ELF_BUILD_ID_MAX], *at = path;
        at += sprintf(at, "/usr/lib/debug/.build-id/%02x/", id[0]);
        for (size_t i = 1; i < id_len; i++)
            at += sprintf(at, "%02x", id[i]);
        strcpy(at, ".debug");
        struct elf_image debug = {.fd = -1};
        if (elf_open(path, 0, &debug) == 0) {
            if ((ret = elf_parse(&debug, d->syms, NULL, NULL, NULL, NULL)) < 0)
                log_debug("symbols of %s: %s", path, strerror(-ret));
            close(debug.fd);
        }
    }
    symtab_sort(d->syms);
    d->state = DSO_READ;
}

/* The link-time address of the byte at file offset offset_bytes. */
static uint64_t dso_vaddr(const struct dso *d, uint64_t offset_bytes)
{
    for (unsigned i = 0; i < d->n_loads; i++) {
        const struct elf_load *l = &d->loads[i];
        if (offset_bytes >= l->offset_bytes && offset_bytes - l->offset_bytes < l->size_bytes)
            return l->vaddr + (offset_bytes - l->offset_bytes);
    }
    return offset_bytes;
}

const char *symbols_user(struct symbols *s, pid_t pid, uint64_t addr, bool *known)
{
    *known = false;
    const struct process *pr = find_process(s, pid);
    if (!pr)
        return NULL;
    size_t lo = 0, hi = pr->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pr->maps[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || addr >= pr->maps[lo - 1].end)
        return NULL;
    const struct mapping *m = &pr->maps[lo - 1];
    if (m->dso < 0)
        return s->unknown;
    struct dso *d = &s->dsos[m->dso];
    if (d->state == DSO_UNREAD)
        dso_read(d);
    const char *name = NULL;
    if (d->state == DSO_READ)
        name = symtab_lookup(d->syms, dso_vaddr(d, addr - m->start + m->pgoff_bytes));
    char buf[1024];
    if (name && d->path == pr->exe)
        snprintf(buf, sizeof(buf), "%s", name);
    else
        snprintf(buf, sizeof(buf), "%s [%s]", name ? name : SYMBOLS_UNKNOWN, d->label);
    *known = name != NULL;
    const char *interned = symbols_intern(s, buf);
    return interned ? interned : s->unknown;
}
