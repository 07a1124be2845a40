/*
 * demo.c - an ordinary wasi-libc program, compiled by
 * tests/e2e/wasi_exec.sh: it reads a mounted file, lists a mounted
 * directory (sorted), reads its environment and arguments, writes to
 * stdout and stderr and exits with a status of its choosing.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++) printf("arg[%d]=%s\n", i, argv[i]);
    const char *who = getenv("WHO");
    printf("WHO=%s\n", who ? who : "(unset)");
    printf("HOME=%s\n", getenv("HOME") ? getenv("HOME") : "(unset)");

    FILE *f = fopen("/data/greeting.txt", "r");
    if (!f) {
        perror("open /data/greeting.txt");
        return 10;
    }
    char line[256];
    while (fgets(line, sizeof line, f)) printf("file: %s", line);
    fclose(f);

    DIR *d = opendir("/data/list");
    if (!d) {
        perror("opendir /data/list");
        return 11;
    }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64)
        if (e->d_name[0] != '.') names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp);
    for (int i = 0; i < n; i++) {
        printf("entry: %s\n", names[i]);
        free(names[i]);
    }

    FILE *o = fopen("/out/result.txt", "w");
    if (!o) {
        perror("open /out/result.txt");
        return 12;
    }
    fprintf(o, "written by %s\n", who ? who : "nobody");
    fclose(o);

    fprintf(stderr, "done\n");
    return argc > 1 && !strcmp(argv[1], "fail") ? 7 : 0;
}
