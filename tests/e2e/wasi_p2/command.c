/*
 * command.c - an ordinary wasi-libc program made a WASI 0.2 command
 * component by tests/e2e/wasi_p2_exec.sh (clang --target=wasm32-wasi, then
 * jco's preview-1 command adapter): its stdio, arguments, environment,
 * clocks (a 50 ms sleep measured by the monotonic clock) and exit status
 * all go through WASI 0.2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++) printf("arg[%d]=%s\n", i, argv[i]);
    const char *who = getenv("WHO");
    printf("WHO=%s\n", who ? who : "(unset)");
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    usleep(50000);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long ms = (long)(b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    printf("slept 50 ms: %s\n", ms >= 50 ? "yes" : "no");
    char buf[256];
    size_t n = fread(buf, 1, sizeof buf - 1, stdin);
    buf[n] = 0;
    printf("stdin: %s", buf);
    fprintf(stderr, "to stderr\n");
    return argc > 1 ? atoi(argv[1]) : 0;
}
