/* A program with known hot spots, for tests/test_profile.c: one thread spends its time in
 * profile_target_checksum (user space), one in pread() of a cached file (the kernel's
 * read path), one sleeping in nanosleep() (off the CPU). It prints each thread's id as
 * "NAME TID" lines on stdout, then runs until its stdin reaches end of file. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BUFFER_BYTES 65536

static unsigned char buffer[BUFFER_BYTES];
static volatile uint64_t sink; /* keeps the checksums */
static int read_fd;

/* noipa: no .constprop clone, the name stays. */
__attribute__((noipa)) uint64_t profile_target_checksum(const unsigned char *p, size_t len);
__attribute__((noipa)) uint64_t profile_target_checksum(const unsigned char *p, size_t len)
{
    uint64_t a = 1, b = 0;
    for (size_t i = 0; i < len; i++) {
        a = (a + p[i]) % 65521;
        b = (b + a) % 65521;
    }
    return b << 16 | a;
}

static void *burn_main(void *arg)
{
    (void)arg;
    for (;;)
        sink += profile_target_checksum(buffer, sizeof(buffer));
    return NULL;
}

static void *read_main(void *arg)
{
    (void)arg;
    unsigned char block[4096];
    for (;;)
        if (pread(read_fd, block, sizeof(block), 0) < 0)
            abort();
    return NULL;
}

static void *sleep_main(void *arg)
{
    (void)arg;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 1000000};
    for (;;)
        nanosleep(&ts, NULL);
    return NULL;
}

static pid_t started_tid;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;

struct start {
    void *(*body)(void *);
};

static void *start_main(void *arg)
{
    const struct start *s = arg;
    pthread_mutex_lock(&lock);
    started_tid = gettid();
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
    return s->body(NULL);
}

int main(int argc, char **argv)
{
    (void)argc;
    if ((read_fd = open(argv[0], O_RDONLY | O_CLOEXEC)) < 0) {
        fprintf(stderr, "profile_target: open(%s): %s\n", argv[0], strerror(errno));
        return 1;
    }
    for (size_t i = 0; i < sizeof(buffer); i++)
        buffer[i] = (unsigned char)(i * 31 + 7);
    static const struct start starts[] = {{burn_main}, {read_main}, {sleep_main}};
    static const char *const names[] = {"burn", "syscall", "sleep"};
    for (size_t i = 0; i < 3; i++) {
        pthread_t t;
        pthread_mutex_lock(&lock);
        started_tid = 0;
        if (pthread_create(&t, NULL, start_main, (void *)&starts[i]) != 0) {
            fprintf(stderr, "profile_target: pthread_create failed\n");
            return 1;
        }
        while (started_tid == 0)
            pthread_cond_wait(&cond, &lock);
        printf("%s %d\n", names[i], (int)started_tid);
        pthread_mutex_unlock(&lock);
    }
    fflush(stdout);
    char c;
    while (read(0, &c, 1) > 0 || errno == EINTR)
        ;
    _exit(0);
}
