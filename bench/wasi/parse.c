/* parse.c - text generation and parsing: snprintf a CSV-like log of
 * records (name, integer, decimal), then scan it back field by field with
 * strtol/strtod, string compares and a word-frequency count. Exercises libc
 * string code, byte loops and branches. usage: parse [RECORDS]
 * default 200000; prints the record count, sums and the most common name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = { "alpha", "bravo", "charlie", "delta", "echo",
                                     "foxtrot", "golf", "hotel", "india", "juliet" };
#define NNAMES (sizeof names / sizeof names[0])

int main(int argc, char **argv)
{
    int records = argc > 1 ? atoi(argv[1]) : 200000;
    size_t cap = (size_t)records * 48 + 64, len = 0;
    char *text = malloc(cap);
    if (!text) return 1;
    unsigned seed = 42;
    for (int i = 0; i < records; i++) {
        seed = seed * 1664525u + 1013904223u;
        unsigned r = seed >> 8;
        len += (size_t)snprintf(text + len, cap - len, "%s,%d,%u.%02u;%s\n",
                                names[r % NNAMES], (int)(r % 200001) - 100000, r % 1000,
                                (r >> 10) % 100, (r & 1) ? "ok" : "retry");
    }
    long long isum = 0;
    double dsum = 0;
    unsigned counts[NNAMES] = { 0 }, oks = 0, lines = 0;
    for (char *p = text; p < text + len;) {
        char *comma = memchr(p, ',', (size_t)(text + len - p));
        if (!comma) break;
        for (unsigned k = 0; k < NNAMES; k++)
            if (strlen(names[k]) == (size_t)(comma - p) && !strncmp(p, names[k], (size_t)(comma - p))) {
                counts[k]++;
                break;
            }
        char *end;
        isum += strtol(comma + 1, &end, 10);
        dsum += strtod(end + 1, &end);
        if (!strncmp(end + 1, "ok\n", 3)) oks++;
        p = strchr(end, '\n') + 1;
        lines++;
    }
    unsigned best = 0;
    for (unsigned k = 1; k < NNAMES; k++)
        if (counts[k] > counts[best]) best = k;
    printf("parse %u lines (%zu bytes): int sum %lld, decimal sum %.2f, %u ok, most %s (%u)\n",
           lines, len, isum, dsum, oks, names[best], counts[best]);
    free(text);
    return 0;
}
