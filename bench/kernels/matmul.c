/* matmul.c - double-precision matrix product: floating-point loads and math. */
#include "kernel.h"

#define N 128
static double a[N][N], b[N][N], c[N][N];

KERNEL_EXPORT unsigned bench_run(unsigned rounds)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            a[i][j] = (double)(i * N + j) / (N * N);
            b[i][j] = (double)(j * N + i) / (N * N) - 0.5;
        }
    double sum = 0;
    for (unsigned r = 0; r < rounds; r++) {
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                double s = 0;
                for (int k = 0; k < N; k++) s += a[i][k] * b[k][j];
                c[i][j] = s;
            }
        sum += c[r % N][(r * 7) % N];
        a[r % N][r % N] += 1e-3;
    }
    return (unsigned)(long long)(sum * 1000.0);
}
