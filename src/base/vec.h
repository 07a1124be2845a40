/*
 * vec.h - growable arrays as macros over a { data, len, cap } struct.
 *
 *   WF_VEC(int) v = {0};
 *   wf_vec_push(&v, 42);
 *   wf_vec_free(&v);
 */
#ifndef WF_VEC_H
#define WF_VEC_H

#include "base/base.h"

#define WF_VEC(T) struct { T *data; size_t len, cap; }

/* Make room for n more elements. */
#define wf_vec_reserve(v, n)                                                    \
    do {                                                                        \
        size_t need_ = (v)->len + (n);                                          \
        if (need_ > (v)->cap) {                                                 \
            size_t cap_ = (v)->cap ? (v)->cap * 2 : 8;                          \
            while (cap_ < need_) cap_ *= 2;                                     \
            (v)->data = wf_xrealloc((v)->data, cap_ * sizeof(*(v)->data));      \
            (v)->cap = cap_;                                                    \
        }                                                                       \
    } while (0)

#define wf_vec_push(v, x)                                                       \
    do {                                                                        \
        wf_vec_reserve(v, 1);                                                   \
        (v)->data[(v)->len++] = (x);                                            \
    } while (0)

#define wf_vec_pop(v)  ((v)->data[--(v)->len])
#define wf_vec_last(v) ((v)->data[(v)->len - 1])
#define wf_vec_free(v) (free((v)->data), (v)->data = NULL, (v)->len = (v)->cap = 0)

#endif
