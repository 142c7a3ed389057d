/* Stack profiles of chosen threads: where their on-CPU time goes (kernel and user
 * symbols) and, optionally, where they wait off the CPU.
 *
 * Each attached thread gets a software cpu-clock event (no PMU needed) sampling its
 * kernel and user call chains every period of on-CPU time, and with off-CPU profiling a
 * context-switch event that records the stack at each switch-out; the time until the
 * thread's next switch-in (PERF_RECORD_SWITCH) is charged to that stack. The kernel does
 * all of that in the threads themselves; this module's code never runs in them.
 *
 * Records go to one ring buffer per thread, which a reader thread of this module drains
 * while the profile is enabled: it sleeps in poll() and wakes when a buffer is a quarter
 * full or every 100 ms, and folds each record into a hash table of distinct stacks (raw
 * addresses), so memory grows with the distinct stacks, not with the samples. Records
 * the kernel could not write (a full buffer) are counted from PERF_RECORD_LOST, never
 * hidden. Symbols are resolved once, in profile_finish.
 *
 * User stacks are walked through frame pointers: the leaf (the sampled instruction) is
 * always right, callers are only as complete as the code's frame pointers (a frame
 * without one skips its caller; the walk stops at the first address that is in no
 * executable mapping). Kernel stacks come from the kernel's own unwinder.
 *
 * Needs root (CAP_PERFMON) or kernel.perf_event_paranoid <= 1, and kernel addresses in
 * /proc/kallsyms (kernel.kptr_restrict): profile_check_support says which is missing. */
#ifndef MMBENCH_PROFILE_H
#define MMBENCH_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define PROFILE_DEFAULT_HZ  999
#define PROFILE_MAX_THREADS 1024
#define PROFILE_MAX_FRAMES  48 /* kernel plus user frames kept per stack */

struct profile_options {
    unsigned frequency_hz; /* samples per second of a thread's on-CPU time; 0: 999 */
    bool offcpu;           /* also record off-CPU time with its stacks */
    size_t ring_bytes;     /* per thread, rounded up to a power of two pages, at most 1 GiB;
                            * 0: enough for 1 s of full-depth samples at frequency_hz */
};

/* 0 when profiles can be taken here, or -EPERM (not permitted, kernel addresses hidden)
 * or -ENOENT (no perf events, no cpu-clock event) with why: the reason and the remedy. */
int profile_check_support(char *why, size_t len);

struct profile;

/* A profile with no threads yet. NULL after logging (bad options, no memory). */
struct profile *profile_create(const struct profile_options *o);

/* Opens the events for thread tid (a thread id; a process's main thread is its pid; a
 * thread created later is not followed), enabled if the profile is. Callable from any
 * thread, for up to PROFILE_MAX_THREADS threads; each takes 1 descriptor (2 with
 * offcpu) and ring_bytes of locked memory. 0 or -errno after logging. */
int profile_attach(struct profile *p, pid_t tid);

/* Starts and stops sampling of every attached thread (and the reader thread). Time a
 * thread was already off the CPU when enabled is not counted (its stack is unknown). */
void profile_enable(struct profile *p);
void profile_disable(struct profile *p);

/* Disables, drains the buffers, closes the events and resolves symbols; after it the
 * queries below answer. 0 or -errno after logging (then nothing was resolved). */
int profile_finish(struct profile *p);

enum profile_space {
    PROFILE_KERNEL, /* on-CPU samples whose leaf is in the kernel */
    PROFILE_USER,   /* on-CPU samples whose leaf is in user space */
    PROFILE_OFFCPU, /* blocked time, by wait site: the first frame below the scheduler */
};

struct profile_symbol {
    const char *name; /* "func", "func [module or library]", "[unknown]"; until profile_free */
    uint64_t count;   /* self samples; PROFILE_OFFCPU: blocked time in ns */
    double share;     /* of all on-CPU samples (kernel and user); PROFILE_OFFCPU: of
                       * the blocked time */
};

/* Fills out with the top max symbols of space, most first; returns how many. */
size_t profile_top(const struct profile *p, enum profile_space space, struct profile_symbol *out,
                   size_t max);

/* Writes the stacks in the folded format flame-graph tools read: one line per distinct
 * stack, "root;...;leaf count", user frames then kernel frames, sorted. On-CPU counts are
 * samples; off-CPU lines start with "[off-cpu]" (blocked) or "[preempted]" (runnable
 * but switched out) and count their time in sampling periods (period_ns), so that one
 * graph shows both on the same scale; stacks under half a period are left out.
 * 0 or -EIO. */
int profile_write_folded(const struct profile *p, FILE *f);

struct profile_stats {
    uint64_t samples;        /* on-CPU samples */
    uint64_t kernel_samples; /* of which with the leaf in the kernel */
    uint64_t user_samples;   /* of which with the leaf in user space */
    uint64_t period_ns;      /* on-CPU time per sample */
    uint64_t lost;           /* records the kernel dropped: a ring buffer was full */
    uint64_t throttled;      /* times the kernel throttled sampling (max sample rate) */
    uint64_t dropped;        /* records not aggregated: stack table full, or malformed */
    uint64_t truncated;      /* samples that reached PROFILE_MAX_FRAMES: maybe cut at the root */
    uint64_t offcpu_ns;      /* time blocked, charged to switch-out stacks */
    uint64_t preempted_ns;   /* time runnable but switched out */
    uint64_t switches;       /* switch-outs matched with their switch-in */
    uint64_t frames;         /* frames resolved, over all samples and switch-outs */
    uint64_t unknown_frames; /* of which no symbol matched */
    uint64_t stacks;         /* distinct stacks (raw addresses) */
    uint64_t ring_bytes;     /* per thread */
    unsigned threads;        /* attached */
};

/* Valid once profile_disable or profile_finish returned; frames and unknown_frames once
 * profile_finish did. */
void profile_get_stats(const struct profile *p, struct profile_stats *out);

/* Closes everything (also without profile_finish). */
void profile_free(struct profile *p);

#endif
