/*
 * Compiled stochastic Heun kernel for the sLLGS fast path of sim_backend.physics.llg.
 *
 * Integrates N macrospins for K Heun steps in place (state layout (3, N), each component
 * contiguous), for the case handled by llg._FastHeun: one 3x3 field operator and one field
 * offset shared by the whole batch (both may change from step to step: time-dependent drives
 * with a batch-wide amplitude), an optional per-device static field, a scalar damping and a
 * scalar or per-device Brown-field amplitude. All fields are pre-scaled by -gamma' dt, so with
 * f(m, h) = m x h + alpha (m (m . h) - h):
 *
 *     h1 = L1 m + c1 + b,        p = m + f(m, h1)              (Euler predictor)
 *     h2 = L2 p + c2 + b,        m <- (m + p + f(p, h2)) / |.| (Heun corrector, renormalized)
 *
 * where b = sigma xi + c_static is the Brown field of the step (xi ~ N(0, 1) per component),
 * held across both stages (Stratonovich). (L1, c1) are evaluated at t_k, (L2, c2) at t_k + dt.
 *
 * Noise: xoshiro256++ (Blackman & Vigna) with a 256-layer Ziggurat for exact N(0, 1) deviates
 * (Marsaglia & Tsang, J. Stat. Softw. 5 (2000)); 53-bit uniforms, the exact Marsaglia tail.
 * The batch is stepped in blocks of HEUN_BLOCK devices; each block owns one generator state
 * (seeded by SplitMix64 from a 64-bit seed drawn from the caller's numpy Generator), so a
 * device's trajectory does not depend on how the run is cut into calls (snapshots).
 *
 * Plain C99 + the CPython buffer protocol: no numpy headers are needed to build it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define HEUN_BLOCK 128
#define ZIG_LAYERS 256
#define ZIG_R 3.6541528853610088
#define ZIG_V 4.92867323399e-3

static double zig_x[ZIG_LAYERS + 1];   /* layer edges, x[0] = V / f(R) (base strip), x[1] = R */
static double zig_ratio[ZIG_LAYERS];   /* x[i+1] / x[i]: fast acceptance */
static double zig_f[ZIG_LAYERS + 1];   /* f(x[i]) = exp(-x^2 / 2) */
static double zig_xs[2 * ZIG_LAYERS];  /* x[i] for index i, -x[i] for index i + 256 (sign bit) */

static void zig_init(void)
{
    int i;
    double f_r = exp(-0.5 * ZIG_R * ZIG_R);
    zig_x[0] = ZIG_V / f_r;
    zig_x[1] = ZIG_R;
    for (i = 1; i < ZIG_LAYERS - 1; i++) {
        double xi = zig_x[i];
        zig_x[i + 1] = sqrt(-2.0 * log(ZIG_V / xi + exp(-0.5 * xi * xi)));
    }
    zig_x[ZIG_LAYERS] = 0.0;
    for (i = 0; i <= ZIG_LAYERS; i++)
        zig_f[i] = exp(-0.5 * zig_x[i] * zig_x[i]);
    zig_f[0] = 0.0;   /* unused for the base strip (its wedge is the tail) */
    for (i = 0; i < ZIG_LAYERS; i++) {
        zig_ratio[i] = zig_x[i + 1] / zig_x[i];
        zig_xs[i] = zig_x[i];
        zig_xs[i + ZIG_LAYERS] = -zig_x[i];
    }
}

/* ------------------------------------------------------------------ xoshiro256++ / SplitMix64 */
static inline uint64_t rotl(const uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t xoshiro_next(uint64_t *s)
{
    const uint64_t result = rotl(s[0] + s[3], 23) + s[0];
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static inline uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

#define TWO_M53 (1.0 / 9007199254740992.0)

#if defined(__GNUC__)
#define LIKELY(x) __builtin_expect(!!(x), 1)
#else
#define LIKELY(x) (x)
#endif

/* uniform in (0, 1] */
static inline double uniform_pos(uint64_t *s)
{
    return (double)(int64_t)((xoshiro_next(s) >> 11) + 1) * TWO_M53;
}

static double normal_slow(uint64_t *s, int i, double u, double sign);

/* One N(0, 1) deviate (256-layer Ziggurat): bits 0-7 pick the layer, bit 8 the sign, bits
 * 11-63 the 53-bit uniform; ~99 % of deviates take the first branch. */
static inline double normal(uint64_t *s)
{
    const uint64_t r = xoshiro_next(s);
    const int i = (int)(r & 0xff);
    const double u = (double)(int64_t)(r >> 11) * TWO_M53;          /* [0, 1) */
    if (LIKELY(u < zig_ratio[i]))
        return u * zig_xs[r & 0x1ff];
    return normal_slow(s, i, u, (r & 0x100) ? -1.0 : 1.0);
}

static double normal_slow(uint64_t *s, int i, double u, double sign)
{
    for (;;) {
        if (u < zig_ratio[i])
            return sign * u * zig_x[i];
        if (i == 0) {                               /* tail beyond R (Marsaglia 1964) */
            double a, b;
            do {
                a = -log(uniform_pos(s)) / ZIG_R;
                b = -log(uniform_pos(s));
            } while (b + b < a * a);
            return sign * (ZIG_R + a);
        } else {                                    /* wedge of layer i */
            double x = u * zig_x[i];
            double y = zig_f[i] + uniform_pos(s) * (zig_f[i + 1] - zig_f[i]);
            if (y < exp(-0.5 * x * x))
                return sign * x;
        }
        {
            const uint64_t r = xoshiro_next(s);
            i = (int)(r & 0xff);
            sign = (r & 0x100) ? -1.0 : 1.0;
            u = (double)(int64_t)(r >> 11) * TWO_M53;
        }
    }
}

/* ------------------------------------------------------------------ the Heun step of a block */
/* On x86-64 Linux with GCC, an AVX2 clone of the block stepper is chosen at load time when the
 * CPU has it (no -march needed at build time). FMA is deliberately not enabled: every operation
 * stays a separately rounded IEEE add/mul/div/sqrt, so both clones give bit-identical results. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) \
    && (__GNUC__ >= 6) && !defined(HEUN_NO_CLONES)
#define HEUN_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define HEUN_CLONES
#endif

/* mats: per step 24 doubles: L1 (row-major 3x3), c1 (3), L2 (3x3), c2 (3). */
HEUN_CLONES static void heun_block(double *restrict mx, double *restrict my, double *restrict mz, Py_ssize_t nb,
                       Py_ssize_t n_steps, const double *mats, Py_ssize_t mat_stride, double alpha,
                       const double *sigma, int sigma_per_device,
                       const double *csx, const double *csy, const double *csz,
                       int has_noise, uint64_t *state)
{
    double bx[HEUN_BLOCK], by[HEUN_BLOCK], bz[HEUN_BLOCK];
    uint64_t st[4];
    Py_ssize_t j, k;
    memcpy(st, state, sizeof st);
    if (!has_noise) {
        for (j = 0; j < nb; j++) {
            bx[j] = csx ? csx[j] : 0.0;
            by[j] = csy ? csy[j] : 0.0;
            bz[j] = csz ? csz[j] : 0.0;
        }
    }
    for (k = 0; k < n_steps; k++) {
        const double *M = mats + k * mat_stride;
        const double a00 = M[0], a01 = M[1], a02 = M[2], a10 = M[3], a11 = M[4], a12 = M[5];
        const double a20 = M[6], a21 = M[7], a22 = M[8], c1x = M[9], c1y = M[10], c1z = M[11];
        const double b00 = M[12], b01 = M[13], b02 = M[14], b10 = M[15], b11 = M[16], b12 = M[17];
        const double b20 = M[18], b21 = M[19], b22 = M[20], c2x = M[21], c2y = M[22], c2z = M[23];
        if (has_noise) {
            if (sigma_per_device) {
                for (j = 0; j < nb; j++) {
                    const double sg = sigma[j];
                    bx[j] = sg * normal(st);
                    by[j] = sg * normal(st);
                    bz[j] = sg * normal(st);
                }
            } else {
                const double sg = sigma[0];
                for (j = 0; j < nb; j++) {
                    bx[j] = sg * normal(st);
                    by[j] = sg * normal(st);
                    bz[j] = sg * normal(st);
                }
            }
            if (csx) {
                for (j = 0; j < nb; j++) {
                    bx[j] += csx[j];
                    by[j] += csy[j];
                    bz[j] += csz[j];
                }
            }
        }
        for (j = 0; j < nb; j++) {
            const double x = mx[j], y = my[j], z = mz[j];
            const double ex = bx[j], ey = by[j], ez = bz[j];
            /* stage 1 */
            double hx = a00 * x + a01 * y + a02 * z + c1x + ex;
            double hy = a10 * x + a11 * y + a12 * z + c1y + ey;
            double hz = a20 * x + a21 * y + a22 * z + c1z + ez;
            double mh = x * hx + y * hy + z * hz;
            const double px = x + (y * hz - z * hy) + alpha * (x * mh - hx);
            const double py = y + (z * hx - x * hz) + alpha * (y * mh - hy);
            const double pz = z + (x * hy - y * hx) + alpha * (z * mh - hz);
            /* stage 2 (same Brown field) */
            hx = b00 * px + b01 * py + b02 * pz + c2x + ex;
            hy = b10 * px + b11 * py + b12 * pz + c2y + ey;
            hz = b20 * px + b21 * py + b22 * pz + c2z + ez;
            mh = px * hx + py * hy + pz * hz;
            const double sx = x + px + (py * hz - pz * hy) + alpha * (px * mh - hx);
            const double sy = y + py + (pz * hx - px * hz) + alpha * (py * mh - hy);
            const double sz = z + pz + (px * hy - py * hx) + alpha * (pz * mh - hz);
            const double inv = 1.0 / sqrt(sx * sx + sy * sy + sz * sz);
            mx[j] = sx * inv;
            my[j] = sy * inv;
            mz[j] = sz * inv;
        }
    }
    memcpy(state, st, sizeof st);
}

/* ------------------------------------------------------------------ Python interface */
static int get_buf(PyObject *obj, Py_buffer *view, int writable, Py_ssize_t nbytes, const char *what)
{
    if (PyObject_GetBuffer(obj, view, (writable ? PyBUF_WRITABLE : 0) | PyBUF_C_CONTIGUOUS) < 0)
        return -1;
    if (view->len != nbytes) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zd bytes, got %zd", what, nbytes, view->len);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(integrate_doc,
"integrate(m, n, n_steps, mats, alpha, sigma, c_static, state, has_noise)\n\n"
"Advance the (3, n) float64 state ``m`` by ``n_steps`` Heun steps in place.\n"
"mats: float64 (S, 24) with S = 1 (static fields) or n_steps: per step L1, c1, L2, c2 (scaled\n"
"by -gamma' dt). sigma: float64 (1,) or (n,), the scaled Brown amplitude. c_static: float64\n"
"(3, n) per-device static field or None. state: uint64 (ceil(n / BLOCK), 4) generator states.\n"
"has_noise: draw the Brown field (else b = c_static). Releases the GIL.");

static PyObject *py_integrate(PyObject *self, PyObject *args)
{
    PyObject *om, *omats, *osig, *ocs, *ost;
    Py_ssize_t n, n_steps, n_mats, n_blocks, n_sig;
    double alpha;
    int has_noise;
    Py_buffer bm, bmats, bsig, bcs, bst;
    int have_cs = 0;
    (void)self;
    if (!PyArg_ParseTuple(args, "OnnOdOOOp", &om, &n, &n_steps, &omats, &alpha, &osig, &ocs, &ost,
                          &has_noise))
        return NULL;
    if (n < 0 || n_steps < 0) {
        PyErr_SetString(PyExc_ValueError, "n and n_steps must be non-negative");
        return NULL;
    }
    n_blocks = (n + HEUN_BLOCK - 1) / HEUN_BLOCK;
    if (get_buf(om, &bm, 1, 3 * n * (Py_ssize_t)sizeof(double), "m") < 0)
        return NULL;
    if (PyObject_GetBuffer(omats, &bmats, PyBUF_C_CONTIGUOUS) < 0)
        goto fail_m;
    n_mats = bmats.len / (24 * (Py_ssize_t)sizeof(double));
    if (bmats.len != n_mats * 24 * (Py_ssize_t)sizeof(double) || !(n_mats == 1 || n_mats == n_steps)
        || n_mats < 1) {
        PyErr_SetString(PyExc_ValueError, "mats must hold 24 float64 for one step or for every step");
        goto fail_mats;
    }
    if (PyObject_GetBuffer(osig, &bsig, PyBUF_C_CONTIGUOUS) < 0)
        goto fail_mats;
    n_sig = bsig.len / (Py_ssize_t)sizeof(double);
    if (!(bsig.len == (Py_ssize_t)sizeof(double) || bsig.len == n * (Py_ssize_t)sizeof(double))) {
        PyErr_SetString(PyExc_ValueError, "sigma must hold 1 or n float64");
        goto fail_sig;
    }
    if (ocs != Py_None) {
        if (get_buf(ocs, &bcs, 0, 3 * n * (Py_ssize_t)sizeof(double), "c_static") < 0)
            goto fail_sig;
        have_cs = 1;
    }
    if (get_buf(ost, &bst, 1, 4 * n_blocks * (Py_ssize_t)sizeof(uint64_t), "state") < 0)
        goto fail_cs;

    {
        double *m = (double *)bm.buf;
        const double *mats = (const double *)bmats.buf;
        const double *sig = (const double *)bsig.buf;
        const double *cs = have_cs ? (const double *)bcs.buf : NULL;
        uint64_t *st = (uint64_t *)bst.buf;
        const Py_ssize_t mat_stride = n_mats == 1 ? 0 : 24;
        const int per_dev = n_sig == n && n > 1;
        Py_ssize_t blk;
        Py_BEGIN_ALLOW_THREADS
        for (blk = 0; blk < n_blocks; blk++) {
            const Py_ssize_t a = blk * HEUN_BLOCK;
            const Py_ssize_t nb = (n - a) < HEUN_BLOCK ? (n - a) : HEUN_BLOCK;
            heun_block(m + a, m + n + a, m + 2 * n + a, nb, n_steps, mats, mat_stride, alpha,
                       per_dev ? sig + a : sig, per_dev,
                       cs ? cs + a : NULL, cs ? cs + n + a : NULL, cs ? cs + 2 * n + a : NULL,
                       has_noise, st + 4 * blk);
        }
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&bst);
    if (have_cs)
        PyBuffer_Release(&bcs);
    PyBuffer_Release(&bsig);
    PyBuffer_Release(&bmats);
    PyBuffer_Release(&bm);
    Py_RETURN_NONE;

fail_cs:
    if (have_cs)
        PyBuffer_Release(&bcs);
fail_sig:
    PyBuffer_Release(&bsig);
fail_mats:
    PyBuffer_Release(&bmats);
fail_m:
    PyBuffer_Release(&bm);
    return NULL;
}

PyDoc_STRVAR(seed_doc,
"seed(state, seed)\n\nFill the uint64 buffer ``state`` (k x 4 words, one xoshiro256++ state per\n"
"block) from the SplitMix64 sequence started at the 64-bit integer ``seed``.");

static PyObject *py_seed(PyObject *self, PyObject *args)
{
    PyObject *ost;
    unsigned long long seed;
    Py_buffer bst;
    Py_ssize_t i, nw;
    uint64_t sm, *st;
    (void)self;
    if (!PyArg_ParseTuple(args, "OK", &ost, &seed))
        return NULL;
    if (PyObject_GetBuffer(ost, &bst, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0)
        return NULL;
    nw = bst.len / (Py_ssize_t)sizeof(uint64_t);
    if (nw * (Py_ssize_t)sizeof(uint64_t) != bst.len || nw % 4) {
        PyBuffer_Release(&bst);
        PyErr_SetString(PyExc_ValueError, "state must hold a multiple of 4 uint64 words");
        return NULL;
    }
    st = (uint64_t *)bst.buf;
    sm = (uint64_t)seed;
    for (i = 0; i < nw; i++)
        st[i] = splitmix64(&sm);
    for (i = 0; i < nw; i += 4)     /* an all-zero state is the one forbidden state */
        if (!(st[i] | st[i + 1] | st[i + 2] | st[i + 3]))
            st[i] = 1;
    PyBuffer_Release(&bst);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(normals_doc,
"normals(state, out)\n\nFill the float64 buffer ``out`` with N(0, 1) deviates from the first\n"
"xoshiro256++ state (4 uint64 words) of ``state``, advancing it (for tests).");

static PyObject *py_normals(PyObject *self, PyObject *args)
{
    PyObject *ost, *oout;
    Py_buffer bst, bout;
    Py_ssize_t i, n;
    (void)self;
    if (!PyArg_ParseTuple(args, "OO", &ost, &oout))
        return NULL;
    if (PyObject_GetBuffer(ost, &bst, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0)
        return NULL;
    if (bst.len < 4 * (Py_ssize_t)sizeof(uint64_t)) {
        PyBuffer_Release(&bst);
        PyErr_SetString(PyExc_ValueError, "state must hold at least 4 uint64 words");
        return NULL;
    }
    if (PyObject_GetBuffer(oout, &bout, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0) {
        PyBuffer_Release(&bst);
        return NULL;
    }
    n = bout.len / (Py_ssize_t)sizeof(double);
    {
        uint64_t *st = (uint64_t *)bst.buf;
        double *out = (double *)bout.buf;
        Py_BEGIN_ALLOW_THREADS
        for (i = 0; i < n; i++)
            out[i] = normal(st);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&bout);
    PyBuffer_Release(&bst);
    Py_RETURN_NONE;
}

static PyMethodDef heun_methods[] = {
    {"integrate", py_integrate, METH_VARARGS, integrate_doc},
    {"seed", py_seed, METH_VARARGS, seed_doc},
    {"normals", py_normals, METH_VARARGS, normals_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef heun_module = {
    PyModuleDef_HEAD_INIT, "_heun",
    "Compiled stochastic Heun kernel (sLLGS fast path) with a xoshiro256++/Ziggurat Gaussian source.",
    -1, heun_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__heun(void)
{
    PyObject *mod;
    zig_init();
    mod = PyModule_Create(&heun_module);
    if (mod == NULL)
        return NULL;
    if (PyModule_AddIntConstant(mod, "BLOCK", HEUN_BLOCK) < 0) {
        Py_DECREF(mod);
        return NULL;
    }
    return mod;
}
