/* matmul.c - double-precision matrix product C = A*B (i-k-j order): f64
 * loads, multiplies and adds. usage: matmul [N]   N x N (default 300);
 * prints the trace and the sum of C. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 300;
    double *a = malloc(sizeof(double) * n * n), *b = malloc(sizeof(double) * n * n);
    double *c = calloc((size_t)n * n, sizeof(double));
    if (!a || !b || !c) return 1;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            a[i * n + j] = (double)((i * 7 + j * 3) % 17) / 8.0 - 1.0;
            b[i * n + j] = (double)((i * 5 + j * 11) % 13) / 4.0 - 1.5;
        }
    for (int rep = 0; rep < 3; rep++)
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++) {
                double aik = a[i * n + k];
                for (int j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
            }
    double trace = 0, sum = 0;
    for (int i = 0; i < n; i++) trace += c[i * n + i];
    for (int i = 0; i < n * n; i++) sum += c[i];
    printf("matmul %dx%d x3: trace %.6f sum %.6f\n", n, n, trace, sum);
    free(a);
    free(b);
    free(c);
    return 0;
}
