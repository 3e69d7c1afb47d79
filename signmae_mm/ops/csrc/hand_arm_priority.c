/*
 * SignMAE's hand-arm mask, compiled: per-token priority from the part maps, and the selection
 * of the masked tokens from uniforms drawn by the caller.
 *
 * The compiled twin of the NumPy reference signmae_mm/ops/hand_arm_numpy.py (the method:
 * signmae_mm/ops/hand_arm.py; the crop / flip mapping: datasets/transforms/clip_geometry.py;
 * the Python wrapper and its arguments: hand_arm_priority.py). NumPy spends most
 * of its time on per-call overheads at these sizes (16 x 7 x 32 x 32 maps, 8 x 14 x 14 tokens);
 * here the pooling also skips the empty map cells, which are most of a signer's frame.
 *
 * No NumPy headers: arrays come in through the buffer protocol, so the extension builds against
 * the Python headers alone and works with any NumPy.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* How grid cells along one axis feed the final cells: w[g * cells + i] is the fraction of final
 * cell i that grid cell g covers, non-zero only for i in [lo[g], hi[g]). */
typedef struct {
    int cells, first, last; /* grid cells [first, last) feed at least one final cell */
    int *lo, *hi;
    float *w; /* float, as the NumPy path's float32 matmuls */
    /* the same per final cell i: grid cells band[i] + k, k < span, weights bw[i * span + k]
     * (zero-padded; band[i] + span may pass the grid's end by up to span cells) */
    int span, *band;
    float *bw;
} AxisMap;

/* A final pixel coordinate p maps to grid units as offset + scale * p, or as
 * offset + scale * (size - p) when flipped. Parts of a final cell outside the grid count as
 * uncovered. */
static int axis_map(AxisMap *m, int cells, int cell, int size, double scale, double offset,
                    int flip, int grid) {
    m->cells = cells;
    m->lo = malloc((size_t)grid * sizeof(int));
    m->hi = malloc((size_t)grid * sizeof(int));
    m->w = calloc((size_t)grid * cells, sizeof(float));
    m->band = malloc((size_t)cells * sizeof(int));
    m->span = (int)ceil(scale * cell) + 1;
    m->bw = calloc((size_t)cells * m->span, sizeof(float));
    if (!m->lo || !m->hi || !m->w || !m->band || !m->bw) return -1;
    for (int g = 0; g < grid; g++) {
        m->lo[g] = cells;
        m->hi[g] = 0;
    }
    double length = scale * cell;
    for (int i = 0; i < cells; i++) {
        double a = flip ? offset + scale * (size - (double)(i + 1) * cell)
                        : offset + scale * (double)i * cell;
        double e = a + length;
        int g0 = (int)floor(a), g1 = (int)ceil(e);
        /* a crop outside the frame leaves cells uncovered, never reads outside the grid */
        if (g0 < 0) g0 = 0;
        if (g0 > grid) g0 = grid;
        if (g1 > grid) g1 = grid;
        m->band[i] = g0;
        for (int g = g0; g < g1 && g - g0 < m->span; g++) {
            double o = fmin(e, g + 1.0) - fmax(a, (double)g);
            if (o <= 0) continue;
            m->w[(size_t)g * cells + i] = (float)(o / length);
            m->bw[(size_t)i * m->span + g - g0] = (float)(o / length);
            if (i < m->lo[g]) m->lo[g] = i;
            if (i + 1 > m->hi[g]) m->hi[g] = i + 1;
        }
    }
    m->first = grid;
    m->last = 0;
    for (int g = 0; g < grid; g++)
        if (m->lo[g] < m->hi[g]) {
            if (g < m->first) m->first = g;
            m->last = g + 1;
        }
    if (m->first > m->last) m->first = m->last = 0;
    return 0;
}

static void axis_free(AxisMap *m) {
    free(m->lo);
    free(m->hi);
    free(m->w);
    free(m->band);
    free(m->bw);
}

/* The summing of the maps is most of the work: let GCC also emit an AVX2 version, picked at
 * load time on CPUs that have it (the default build targets baseline x86-64). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define MULTIVERSION
#endif

MULTIVERSION
static void add_rows(uint16_t *restrict dst, const uint8_t *restrict src, size_t count) {
    for (size_t q = 0; q < count; q++) dst[q] += src[q];
}

/* Area-pool one (gh, gw) map of summed part values onto the (hp, wp) token grid, skipping the
 * empty rows. `row` holds gw + xm->span floats. */
MULTIVERSION
static void pool_map(const uint16_t *level, int gw, const AxisMap *ym, const AxisMap *xm,
                     float *row, float *tmp, float *acc) {
    int hp = ym->cells, wp = xm->cells, span = xm->span;
    memset(acc, 0, (size_t)hp * wp * sizeof(float));
    for (int y = ym->first; y < ym->last; y++) {
        const uint16_t *r = level + (size_t)y * gw;
        uint16_t any = 0;
        for (int x = 0; x < gw; x++) any |= r[x];
        if (!any) continue;
        for (int x = 0; x < gw; x++) row[x] = r[x]; /* row[gw..] stay 0: the bands' padding */
        /* pool along x: each token column sums its own few grid cells (independent sums, no
         * read-modify-write chains), then scatter the row onto the token rows it feeds */
        for (int j = 0; j < wp; j++) {
            const float *w = xm->bw + (size_t)j * span, *v = row + xm->band[j];
            float t = 0;
            for (int k = 0; k < span; k++) t += w[k] * v[k];
            tmp[j] = t;
        }
        const float *wy = ym->w + (size_t)y * hp;
        for (int i = ym->lo[y]; i < ym->hi[y]; i++) {
            float *a = acc + (size_t)i * wp, wi = wy[i];
            for (int j = 0; j < wp; j++) a[j] += wi * tmp[j];
        }
    }
}

/* One clip's query: the part maps and how the final clip was cut from the video. */
typedef struct {
    Py_buffer maps, groups;
    int T, P, gh, gw, t_slots, tubelet, mean, out_h, out_w, flip_h, flip_v, ch, cw, dilation;
    double qx, qy, qw, qh, thr;
} Query;

#define QUERY_ARGS 21

/* Parse the first QUERY_ARGS items of `args`; release with query_release on success. */
static int query_parse(PyObject *args, Query *q) {
    PyObject *head = PyTuple_GetSlice(args, 0, QUERY_ARGS);
    if (!head) return -1;
    memset(q, 0, sizeof(*q));
    int ok = PyArg_ParseTuple(head, "y*iiiiy*iiiddddiiiiiidi", &q->maps, &q->T, &q->P, &q->gh,
                              &q->gw, &q->groups, &q->t_slots, &q->tubelet, &q->mean, &q->qx,
                              &q->qy, &q->qw, &q->qh, &q->out_h, &q->out_w, &q->flip_h,
                              &q->flip_v, &q->ch, &q->cw, &q->thr, &q->dilation);
    Py_DECREF(head);
    return ok ? 0 : -1;
}

static void query_release(Query *q) {
    PyBuffer_Release(&q->maps);
    PyBuffer_Release(&q->groups);
}

static int query_levels(const Query *q) { return q->P > 0 ? (int)(q->groups.len / q->P) : 0; }

static Py_ssize_t query_tokens(const Query *q) {
    return (Py_ssize_t)q->t_slots * (q->out_h / q->ch) * (q->out_w / q->cw);
}

static int query_check(const Query *q) {
    int L = query_levels(q);
    /* uint16 sums: at most 255 per summed frame and part group */
    if (q->P <= 0 || (q->mean ? q->tubelet : 1) * q->P > 257 || q->gh <= 0 || q->gw <= 0 ||
        L <= 0 || L > 126 || q->groups.len != (Py_ssize_t)L * q->P || q->ch <= 0 || q->cw <= 0 ||
        q->out_h < q->ch || q->out_w < q->cw || q->t_slots <= 0 || q->tubelet <= 0 ||
        q->t_slots * q->tubelet > q->T ||
        q->maps.len != (Py_ssize_t)q->T * q->P * q->gh * q->gw) {
        PyErr_SetString(PyExc_ValueError, "hand_arm_priority: inconsistent sizes");
        return -1;
    }
    return 0;
}

/* Priority level of every token (L for the first group, ..., 1 for the last, 0 none), the
 * count at each level, and optionally the pooled coverage (L, T', Hp, Wp) in map units. */
static int compute_priority(const Query *q, int8_t *prio, Py_ssize_t *counts, float *cov_out) {
    int L = query_levels(q), P = q->P, gh = q->gh, gw = q->gw, t_slots = q->t_slots;
    int tubelet = q->tubelet, mean = q->mean, dilation = q->dilation;
    int hp = q->out_h / q->ch, wp = q->out_w / q->cw;
    int F = mean ? t_slots : t_slots * tubelet; /* maps pooled per group */
    Py_ssize_t tok = (Py_ssize_t)hp * wp, n = t_slots * tok;
    size_t gsz = (size_t)gh * gw;
    float thr = (float)q->thr;
    AxisMap ym = {0}, xm = {0};
    char *work = NULL;
    int status = -1;
    /* final pixel -> fraction of the crop -> fraction of the frame -> grid units */
    if (axis_map(&ym, hp, q->ch, q->out_h, q->qh * gh / q->out_h, q->qy * gh, q->flip_v, gh) ||
        axis_map(&xm, wp, q->cw, q->out_w, q->qw * gw / q->out_w, q->qx * gw, q->flip_h, gw)) {
        PyErr_NoMemory();
        goto done;
    }
    /* one workspace: coverage (+ one token grid of scratch), a pooled row, a float copy of a
     * map row with its zero padding, the summed map, the membership masks */
    size_t row_len = (size_t)gw + xm.span;
    work = calloc(1, (size_t)(L * n + tok + wp) * sizeof(float) + row_len * sizeof(float) +
                         gsz * sizeof(uint16_t) + 2 * (size_t)(L * n));
    if (!work) {
        PyErr_NoMemory();
        goto done;
    }
    float *covd = (float *)work, *scratch = covd + L * n, *tmp = scratch + tok;
    float *row = tmp + wp;
    uint16_t *level = (uint16_t *)(row + row_len);
    uint8_t *member = (uint8_t *)(level + gsz), *grown = member + L * n;
    const uint8_t *in_group = (const uint8_t *)q->groups.buf, *src = q->maps.buf;
    int per_f = mean ? tubelet : 1;
    /* only the grid rows that some token row sees need summing */
    size_t row0 = (size_t)ym.first * gw, rows = (size_t)(ym.last - ym.first) * gw;
    memset(counts, 0, ((size_t)L + 1) * sizeof(Py_ssize_t));

    for (int l = 0; l < L; l++) {
        for (int f = 0; f < F; f++) {
            memset(level + row0, 0, rows * sizeof(uint16_t));
            for (int k = 0; k < per_f; k++)
                for (int p = 0; p < P; p++)
                    if (in_group[l * P + p])
                        add_rows(level + row0, src + ((size_t)(f * per_f + k) * P + p) * gsz + row0,
                                 rows);
            float *c = covd + ((size_t)l * t_slots + f / (mean ? 1 : tubelet)) * tok;
            if (mean || f % tubelet == 0) {
                pool_map(level, gw, &ym, &xm, row, tmp, c);
            } else { /* 'max': the most covered frame of the tubelet */
                pool_map(level, gw, &ym, &xm, row, tmp, scratch);
                for (Py_ssize_t k = 0; k < tok; k++)
                    if (scratch[k] > c[k]) c[k] = scratch[k];
            }
        }
    }
    /* threshold, dilate per time slot, and rank: level L for the first group ... 1 for the last */
    if (dilation == 0) {
        /* branch-free: the last group first, so that the first one that holds a token wins */
        for (Py_ssize_t k = 0; k < n; k++) {
            int8_t v = 0;
            for (int l = L - 1; l >= 0; l--) v = covd[l * n + k] >= thr ? (int8_t)(L - l) : v;
            prio[k] = v;
        }
    } else {
        for (Py_ssize_t k = 0; k < L * n; k++) member[k] = covd[k] >= thr;
        /* a square dilation per time slot: OR of shifted copies, along rows then columns
         * (contiguous loops, vectorised), as the NumPy path's _dilate */
        for (Py_ssize_t s = 0; s < (Py_ssize_t)L * t_slots; s++) {
            const uint8_t *a = member + s * tok;
            uint8_t *h = grown + s * tok;
            memcpy(h, a, (size_t)tok);
            for (int d = 1; d <= dilation && d < wp; d++)
                for (int i = 0; i < hp; i++) {
                    const uint8_t *ar = a + i * wp;
                    uint8_t *hr = h + i * wp;
                    for (int j = d; j < wp; j++) hr[j] |= ar[j - d];
                    for (int j = 0; j < wp - d; j++) hr[j] |= ar[j + d];
                }
            uint8_t *g = (uint8_t *)a; /* the column pass writes back into member */
            memcpy(g, h, (size_t)tok);
            for (int d = 1; d <= dilation && d < hp; d++) {
                Py_ssize_t off = (Py_ssize_t)d * wp;
                for (Py_ssize_t k = off; k < tok; k++) g[k] |= h[k - off];
                for (Py_ssize_t k = 0; k < tok - off; k++) g[k] |= h[k + off];
            }
        }
        for (Py_ssize_t k = 0; k < n; k++) {
            int8_t v = 0;
            for (int l = L - 1; l >= 0; l--) v = member[l * n + k] ? (int8_t)(L - l) : v;
            prio[k] = v;
        }
    }
    for (int v = 0; v <= L; v++) {
        Py_ssize_t c = 0;
        for (Py_ssize_t k = 0; k < n; k++) c += prio[k] == v;
        counts[v] = c;
    }
    if (cov_out)
        memcpy(cov_out, covd, (size_t)(L * n) * sizeof(float));
    status = 0;
done:
    free(work);
    axis_free(&ym);
    axis_free(&xm);
    return status;
}

/* Which tokens to mask, as SegmentGuidedHandMask._selection_plan: tokens above `level` are
 * masked, and `m` of the `pop` tokens at `level`. */
static void selection_plan(const Py_ssize_t *counts, int L, Py_ssize_t budget, int *level,
                           Py_ssize_t *m, Py_ssize_t *pop) {
    Py_ssize_t n = 0;
    for (int k = 0; k <= L; k++) n += counts[k];
    if (n - counts[0] <= budget) { /* the usual case: every priority token fits */
        *level = 0;
        *m = budget - (n - counts[0]);
        *pop = counts[0];
        return;
    }
    Py_ssize_t left = budget;
    for (int k = L; k > 0; k--) {
        if (counts[k] >= left) { /* the first group that does not fit: a subset of it */
            *level = k;
            *m = left;
            *pop = counts[k];
            return;
        }
        left -= counts[k];
    }
}

/* mask = (priority > level), plus `m` of the `pop` tokens at `level`: a uniformly random subset
 * chosen by Floyd's algorithm from `s = min(m, pop - m)` uniforms (masked when m <= pop - m,
 * else the ones left visible), as signmae_mm.datasets.transforms.floyd_subset. */
static int select_tokens(const int8_t *p, Py_ssize_t n, int level, Py_ssize_t m, Py_ssize_t pop,
                         const double *u, uint8_t *mask) {
    Py_ssize_t s = m <= pop - m ? m : pop - m;
    uint8_t pick = m <= pop - m;
    /* positions of the level's tokens, in order (a branch-free compaction) */
    Py_ssize_t *idx = malloc(((size_t)n + 1) * sizeof(Py_ssize_t)), count = 0;
    uint8_t *chosen = calloc((size_t)pop + 1, 1);
    if (!idx || !chosen) {
        free(idx);
        free(chosen);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        mask[k] = p[k] > level;
        idx[count] = k;
        count += p[k] == level;
    }
    if (count != pop) {
        free(idx);
        free(chosen);
        PyErr_SetString(PyExc_ValueError, "select_mask: pop does not match the priorities");
        return -1;
    }
    if (!pick) /* the chosen ones stay visible: mask the whole level first */
        for (Py_ssize_t r = 0; r < pop; r++) mask[idx[r]] = 1;
    for (Py_ssize_t j = pop - s, i = 0; j < pop; j++, i++) {
        Py_ssize_t t = (Py_ssize_t)(u[i] * (double)(j + 1));
        if (chosen[t]) t = j;
        chosen[t] = 1;
        mask[idx[t]] = pick;
    }
    free(idx);
    free(chosen);
    return 0;
}

static PyObject *counts_tuple(const Py_ssize_t *counts, int L) {
    PyObject *t = PyTuple_New(L + 1);
    if (t)
        for (int k = 0; k <= L; k++) PyTuple_SET_ITEM(t, k, PyLong_FromSsize_t(counts[k]));
    return t;
}

/* hand_arm_priority(<query>, priority_out[, coverage_out]) -> counts */
static PyObject *hand_arm_priority(PyObject *self, PyObject *args) {
    Query q;
    Py_buffer out = {0}, cov = {0};
    PyObject *cov_obj = Py_None, *result = NULL;
    Py_ssize_t counts[127];
    if (query_parse(args, &q) < 0) return NULL;
    PyObject *rest = PyTuple_GetSlice(args, QUERY_ARGS, PyTuple_GET_SIZE(args));
    if (!rest || !PyArg_ParseTuple(rest, "w*|O", &out, &cov_obj)) goto done;
    if (cov_obj != Py_None &&
        PyObject_GetBuffer(cov_obj, &cov, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0)
        goto done;
    if (query_check(&q) < 0) goto done;
    int L = query_levels(&q);
    Py_ssize_t n = query_tokens(&q);
    if (out.len != n || (cov.obj && cov.len != L * n * (Py_ssize_t)sizeof(float))) {
        PyErr_SetString(PyExc_ValueError, "hand_arm_priority: inconsistent sizes");
        goto done;
    }
    if (compute_priority(&q, out.buf, counts, cov.obj ? cov.buf : NULL) == 0)
        result = counts_tuple(counts, L);
done:
    Py_XDECREF(rest);
    if (out.obj) PyBuffer_Release(&out);
    if (cov.obj) PyBuffer_Release(&cov);
    query_release(&q);
    return result;
}

/* hand_arm_mask(<query>, budget, draw, mask_out) -> counts; the mask is written
 * unless no token has a priority (counts[0] == N: the caller falls back). `draw(s)` returns s
 * uniforms in [0, 1) as float64 (numpy.random.random, so the global seeding applies). */
static PyObject *hand_arm_mask(PyObject *self, PyObject *args) {
    Query q;
    Py_buffer mask = {0}, uni = {0};
    PyObject *draw = NULL, *drawn = NULL, *result = NULL;
    Py_ssize_t budget, counts[127];
    int8_t *prio = NULL;
    if (query_parse(args, &q) < 0) return NULL;
    PyObject *rest = PyTuple_GetSlice(args, QUERY_ARGS, PyTuple_GET_SIZE(args));
    if (!rest || !PyArg_ParseTuple(rest, "nOw*", &budget, &draw, &mask)) goto done;
    if (query_check(&q) < 0) goto done;
    int L = query_levels(&q);
    Py_ssize_t n = query_tokens(&q);
    if (mask.len != n || budget < 0 || budget > n) {
        PyErr_SetString(PyExc_ValueError, "hand_arm_mask: inconsistent sizes");
        goto done;
    }
    prio = malloc((size_t)n); /* the priorities stay internal: only the mask goes back */
    if (!prio) {
        PyErr_NoMemory();
        goto done;
    }
    if (compute_priority(&q, prio, counts, NULL) < 0) goto done;
    if (counts[0] != n) {
        int level = 0;
        Py_ssize_t m = 0, pop = 0;
        selection_plan(counts, L, budget, &level, &m, &pop);
        drawn = PyObject_CallFunction(draw, "n", m <= pop - m ? m : pop - m);
        if (!drawn || PyObject_GetBuffer(drawn, &uni, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
            goto done;
        if (strcmp(uni.format, "d") != 0 ||
            uni.len != (m <= pop - m ? m : pop - m) * (Py_ssize_t)sizeof(double)) {
            PyErr_SetString(PyExc_ValueError, "hand_arm_mask: draw(s) must return s float64");
            goto done;
        }
        if (select_tokens(prio, n, level, m, pop, uni.buf, mask.buf) < 0) goto done;
    }
    result = counts_tuple(counts, L);
done:
    free(prio);
    Py_XDECREF(rest);
    if (uni.obj) PyBuffer_Release(&uni);
    Py_XDECREF(drawn);
    if (mask.obj) PyBuffer_Release(&mask);
    query_release(&q);
    return result;
}

/* select_mask(priority, level, m, pop, uniforms, mask_out) -> None */
static PyObject *select_mask(PyObject *self, PyObject *args) {
    Py_buffer prio = {0}, uni = {0}, out = {0};
    int level;
    Py_ssize_t m, pop;
    if (!PyArg_ParseTuple(args, "y*inny*w*", &prio, &level, &m, &pop, &uni, &out)) return NULL;
    PyObject *result = NULL;
    Py_ssize_t s = m <= pop - m ? m : pop - m;
    if (out.len != prio.len || m < 0 || m > pop || pop > prio.len ||
        uni.len != s * (Py_ssize_t)sizeof(double)) {
        PyErr_SetString(PyExc_ValueError, "select_mask: inconsistent sizes");
        goto done;
    }
    if (select_tokens(prio.buf, prio.len, level, m, pop, uni.buf, out.buf) == 0) {
        Py_INCREF(Py_None);
        result = Py_None;
    }
done:
    PyBuffer_Release(&prio);
    PyBuffer_Release(&uni);
    PyBuffer_Release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"hand_arm_priority", hand_arm_priority, METH_VARARGS,
     "hand_arm_priority(maps, T, P, Gh, Gw, groups, t_slots, tubelet, mean, qx, qy, qw, qh,\n"
     "    out_h, out_w, flip_h, flip_v, patch_h, patch_w, thr, dilation, priority_out\n"
     "    [, coverage_out]) -> counts per level. See signmae_mm.ops.hand_arm_priority."},
    {"hand_arm_mask", hand_arm_mask, METH_VARARGS,
     "hand_arm_mask(<the 21 arguments of hand_arm_priority>, budget, draw, mask_out)\n"
     "    -> counts per level. See signmae_mm.ops.hand_arm_mask."},
    {"select_mask", select_mask, METH_VARARGS,
     "select_mask(priority, level, m, pop, uniforms, mask_out) -> None.\n"
     "See signmae_mm.ops.select_by_priority."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_hand_arm_priority",
                                    "Compiled hand-arm mask ops (signmae_mm.ops).", -1, methods};

PyMODINIT_FUNC PyInit__hand_arm_priority(void) { return PyModule_Create(&module); }
