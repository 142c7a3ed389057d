/* Child processes for the measurement kinds: real processes made with fork(), started
 * together behind a gate, held at a barrier while the parent measures them, reporting
 * through shared memory, and always reaped.
 *
 * The life of a group:
 *   parent  children_start: forks count children; each runs body(member, arg)
 *   child   sets itself up (children_reopen, its own mmap), then children_wait_gate
 *   parent  children_open_gate: once all wait at the gate, they start together
 *   child   works, then (optionally) children_arrive: counts in, waits for the release
 *   parent  children_wait_arrived, measures /proc/PID/..., children_release
 *   parent  children_finish: waits for every exit (one failure kills the rest)
 *   parent  children_free: kills and reaps whatever is left, frees the group
 * The shared region (MAP_SHARED | MAP_ANONYMOUS, made before fork) is not the data file:
 * the parent holds no mapping of the file when it forks.
 *
 * Every parent-side wait polls kinds_stop_requested() and the children's exits every
 * 10 ms: a stop request, a deadline or a child that dies or fails SIGKILLs and reaps
 * all of them. Children die with the parent (PR_SET_PDEATHSIG: it follows the thread
 * that forked, so fork from the thread that lives longest), ignore SIGINT (a Ctrl-C
 * reaches the whole process group; the parent decides), and take the default action for
 * SIGTERM, SIGBUS, SIGSEGV and SIGALRM, with no signal blocked. */
#ifndef MMBENCH_CHILDREN_H
#define MMBENCH_CHILDREN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CHILDREN_ERR_BYTES 256 /* a child's failure message */

struct children;

/* What a child's body gets. */
struct children_member {
    unsigned index;         /* 0 .. count - 1 */
    unsigned count;         /* children in the group */
    void *slot;             /* this child's slot_bytes of shared memory, zeroed */
    void *common;           /* common_bytes shared by all children and the parent, zeroed */
    char *err;              /* CHILDREN_ERR_BYTES: the message when body fails */
    struct children *group; /* for children_wait_gate and children_arrive */
};

/* Runs in the child; returns 0 or a negative errno with a message in m->err. The child
 * then _exits (no atexit handlers, no stdio flush). */
typedef int (*children_body)(struct children_member *m, void *arg);

/* Forks count children (count > 0). slot_bytes and common_bytes may be 0. Returns 0, or
 * -errno with a message (children already forked are killed and reaped). */
int children_start(struct children **out, unsigned count, size_t slot_bytes, size_t common_bytes,
                   children_body body, void *arg, char *err, size_t err_len);

/* In the child: waits until the parent opens the gate. Returns 0 or -EINTR when the
 * parent stops the group. */
int children_wait_gate(struct children_member *m);

/* In the child: counts in at the barrier and waits for children_release. Returns 0 or
 * -EINTR. */
int children_arrive(struct children_member *m);

/* Waits until every child waits at the gate (at most timeout_ns; 0: no limit), then
 * opens it. Returns 0, -EINTR (stop requested), -ETIMEDOUT, or the failure of a child
 * that exited; on error every child has been killed and reaped. */
int children_open_gate(struct children *g, uint64_t timeout_ns, char *err, size_t err_len);

/* Waits until every child has called children_arrive. Errors as children_open_gate. */
int children_wait_arrived(struct children *g, uint64_t timeout_ns, char *err, size_t err_len);

/* Lets the children leave the barrier. */
void children_release(struct children *g);

/* Waits until every child has exited. A child that exits non-zero, or dies by a signal
 * unless signals_expected, fails the group: the rest are killed, and its message is
 * returned with its errno. Returns 0, that errno, -ECHILD (killed by a signal), -EINTR or
 * -ETIMEDOUT. */
int children_finish(struct children *g, bool signals_expected, uint64_t timeout_ns, char *err,
                    size_t err_len);

/* A reaped child's wait status (as from waitpid), or -1 while it has not been reaped. */
int children_wait_status(const struct children *g, unsigned index);

pid_t children_pid(const struct children *g, unsigned index);
void *children_slot(const struct children *g, unsigned index);
void *children_common(const struct children *g);

/* Kills (SIGKILL) and reaps every child not yet reaped, and frees g (NULL is allowed). */
void children_free(struct children *g);

/* Opens the file behind fd anew through /proc/self/fd/N with flags (O_CLOEXEC added):
 * a file description of one's own, as an unrelated process would have. Checks that the
 * new descriptor is the same file (st_dev, st_ino). Returns 0 or -errno. */
int children_reopen(int fd, int flags, int *out, char *err, size_t err_len);

#endif
