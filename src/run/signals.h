/* Signals: Ctrl-C (SIGINT), SIGTERM, SIGHUP (a closed terminal) and SIGQUIT stop the run
 * at the next batch (a second one exits at once, removing the files mmbench created),
 * SIGBUS inside a timed phase (the mapped file shrank, or a write fault found no space)
 * ends that phase instead of the process, and SIGPIPE is ignored (a closed stdout loses
 * the console output only). The handlers are installed first thing in main, so no
 * moment of a run is left to the default actions. */
#ifndef MMBENCH_SIGNALS_H
#define MMBENCH_SIGNALS_H

#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* Points at the signal number of the first stop signal (0 before); workers poll it per
 * batch. Shared with worker processes (memory mapped MAP_SHARED by signals_install). */
extern volatile sig_atomic_t *signals_stop;

/* Installs the handlers. cleanup runs on a second stop signal before exiting; it must be
 * async-signal-safe, and safe to run before there is anything to clean up. Returns 0 or
 * -errno. */
int signals_install(void (*cleanup)(void));

/* Blocks the stop signals in the calling thread (old receives the previous mask), so that
 * a file can be created and recorded for the emergency exit with no signal in between. */
void signals_block_stop(sigset_t *old);
void signals_restore(const sigset_t *old);

/* In a worker process just forked: a stop signal only stops it (the parent cleans up), and
 * no cleanup of the parent's ever runs in it. */
void signals_in_child(void);

static inline bool signals_stop_requested(void)
{
    return *signals_stop != 0;
}

/* Arms the calling thread's SIGBUS guard: a SIGBUS in this thread then jumps to jb (set
 * with sigsetjmp(jb, 1)) instead of killing the process. */
void signals_bus_arm(sigjmp_buf *jb);
void signals_bus_disarm(void);

/* Address of the calling thread's last guarded SIGBUS. */
uintptr_t signals_bus_address(void);

#endif
