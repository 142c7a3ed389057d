/* Addresses to function names: kernel addresses through /proc/kallsyms, user addresses
 * through the executable mappings of a process (/proc/PID/maps) and the ELF symbol
 * tables (.symtab and .dynsym) of the mapped files, each file read once and only when
 * one of its addresses is looked up.
 *
 * Names come back interned: two lookups that give the same text give the same pointer,
 * valid until symbols_free. Characters that would break a folded-stack line (';',
 * control characters) are replaced with '?'. */
#ifndef MMBENCH_SYMBOLS_H
#define MMBENCH_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* An unsized symbol (kallsyms, size 0 in ELF) ends where the next one starts; the last
 * one ends this far after its start. */
#define SYMTAB_UNSIZED_BYTES 4096

/* A sorted address -> name table: symtab_add every symbol, symtab_sort once, then look
 * up. Aliases (symbols at one address) keep one name: the one with the fewest leading
 * underscores, then global before local, then the shortest, then the first in
 * strcmp order ("pwrite" over "__libc_pwrite" and "pwrite64"). */
struct symtab;

struct symtab *symtab_new(void); /* NULL after logging */
void symtab_free(struct symtab *t);

/* Adds [start, start + size); size 0: see SYMTAB_UNSIZED_BYTES. global: exported (an
 * ELF global or weak symbol, a kallsyms T or W). 0 or -ENOMEM. */
int symtab_add(struct symtab *t, uint64_t start, uint64_t size, const char *name, bool global);
void symtab_sort(struct symtab *t);
size_t symtab_count(const struct symtab *t); /* symbols after symtab_sort */

/* The symbol with the highest start <= addr, if addr is before its end; else NULL. */
const char *symtab_lookup(const struct symtab *t, uint64_t addr);

/* Adds the text symbols of a file in /proc/kallsyms format, naming module symbols
 * "func [module]", and sorts. 0, -EPERM when every address reads 0 (kernel.kptr_restrict,
 * or no permission), or another -errno (logged). */
int symtab_read_kallsyms(struct symtab *t, const char *path);

/* Adds the function symbols of an ELF64 file and sorts. 0 or -errno (logged at debug
 * level: a stripped or foreign file is not an error of the caller). */
int symtab_read_elf(struct symtab *t, const char *path);

/* The kernel table, processes' executable mappings, and the files they map. */
struct symbols;

struct symbols *symbols_new(void); /* NULL after logging */
void symbols_free(struct symbols *s);

/* Reads /proc/kallsyms. 0, or -errno after logging why kernel frames will be unknown. */
int symbols_load_kernel(struct symbols *s);

/* Takes a snapshot of the executable mappings of process pid (its thread group id) and
 * the path of its executable. Call it again later to add mappings made since; a new
 * mapping that overlaps a known one is ignored. 0 or -errno (logged). */
int symbols_add_process(struct symbols *s, pid_t pid);

/* "func" for a vmlinux symbol, "func [module]" for a module's; NULL when no symbol
 * matches (or the kernel table is not loaded). */
const char *symbols_kernel(struct symbols *s, uint64_t addr);

/* For an address in process pid: "func" in its executable, "func [libc.so.6]" in a
 * shared object or "[vdso]", "[unknown] [libc.so.6]" in a mapped file without a symbol
 * there, SYMBOLS_UNKNOWN in an executable mapping of no file (JIT code); NULL when the
 * address is in no known executable mapping. *known: a function name was found. */
const char *symbols_user(struct symbols *s, pid_t pid, uint64_t addr, bool *known);

/* The interned copy of name (sanitised as above), or NULL without memory. */
const char *symbols_intern(struct symbols *s, const char *name);

#define SYMBOLS_UNKNOWN "[unknown]"

#endif
