#include "signals.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The stop flag: in a page shared with worker processes once signals_install has run, so
 * that a stop signal the parent receives stops them too. */
static volatile sig_atomic_t local_stop;
volatile sig_atomic_t *signals_stop = &local_stop;

static void (*emergency_cleanup)(void);
static _Thread_local sigjmp_buf *bus_jump;
static _Thread_local uintptr_t bus_address;

static void write_stderr(const char *text)
{
    ssize_t ignored = write(STDERR_FILENO, text, strlen(text));
    (void)ignored;
}

/* The signals on_stop handles: all that end a process by default and that a user or a
 * terminal sends (SIGHUP when the terminal closes). */
static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static void on_stop(int sig)
{
    if (*signals_stop) {
        /* Second signal: leave now, but not behind a mess. */
        write_stderr("\nmmbench: interrupted again, exiting now\n");
        if (emergency_cleanup)
            emergency_cleanup();
        _exit(130);
    }
    *signals_stop = sig;
    write_stderr("\nmmbench: stopping after the current batch and saving results "
                 "(Ctrl-C again to quit at once)\n");
}

/* A worker process's: stop quietly at the next batch (the parent says so once); leave at
 * once on a second signal, cleaning nothing (the parent does). */
static void on_stop_child(int sig)
{
    if (*signals_stop)
        _exit(130);
    *signals_stop = sig;
}

void signals_in_child(void)
{
    emergency_cleanup = NULL;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_child;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
        sigaction(stop_signals[i], &sa, NULL);
}

static void on_bus(int sig, siginfo_t *info, void *context)
{
    (void)context;
    sigjmp_buf *jb = bus_jump;
    if (jb) {
        bus_jump = NULL;
        bus_address = (uintptr_t)info->si_addr;
        siglongjmp(*jb, 1);
    }
    /* Not in a guarded phase: a real bug. Die with the signal, as without a handler. */
    signal(sig, SIG_DFL);
    raise(sig);
}

int signals_install(void (*cleanup)(void))
{
    emergency_cleanup = cleanup;
    if (signals_stop == &local_stop) {
        void *page = mmap(NULL, sizeof(*signals_stop), PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (page != MAP_FAILED)
            signals_stop = page; /* else worker processes stop at their deadline only */
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
        sigaddset(&sa.sa_mask, stop_signals[i]); /* one handler at a time */
    sa.sa_flags = SA_RESTART;
    for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
        if (sigaction(stop_signals[i], &sa, NULL) < 0)
            return -errno;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_bus;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_SIGINFO;
    if (sigaction(SIGBUS, &sa, NULL) < 0)
        return -errno;
    /* A reader that goes away (mmbench | head) must not kill the run before it removes its
     * data files: console writes then fail with EPIPE, and the results still reach their
     * files. */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        return -errno;
    return 0;
}

void signals_bus_arm(sigjmp_buf *jb)
{
    bus_jump = jb;
}

void signals_bus_disarm(void)
{
    bus_jump = NULL;
}

uintptr_t signals_bus_address(void)
{
    return bus_address;
}

void signals_block_stop(sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
        sigaddset(&set, stop_signals[i]);
    pthread_sigmask(SIG_BLOCK, &set, old);
}

void signals_restore(const sigset_t *old)
{
    pthread_sigmask(SIG_SETMASK, old, NULL);
}
