// Convolution kernels: see include/convolution.h. Each instruction set has its own functions,
// compiled with a target attribute and chosen at run time; all integer paths give the same
// bits as the scalar one (sums modulo 2^32, then the spec's round_shift and sat16).
#include "convolution.h"

#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)
#define LCAE_X86 1
#include <immintrin.h>
#endif

// Output positions computed together: each weight vector loaded serves all of them.
#define GROUP 4

static inline int16_t finish16(uint32_t acc, int32_t shift, int32_t relu) {
    int64_t v = (int32_t)acc;
    if (shift > 0) v = (v + ((int64_t)1 << (shift - 1))) >> shift;
    if (v > 32767) v = 32767;
    if (v < -32768) v = -32768;
    if (relu && v < 0) v = 0;
    return (int16_t)v;
}

static void int16_scalar(const lcae_int16_layer *L, int32_t tap_count, const int32_t *taps, const ptrdiff_t *offs,
                         const int16_t *input, ptrdiff_t input_step, int32_t count, int16_t *output,
                         ptrdiff_t output_step) {
    uint32_t acc[64];
    for (int32_t t = 0; t < count; t++) {
        const int16_t *x = input + t * input_step;
        for (int32_t o0 = 0; o0 < L->cout; o0 += 64) {
            int32_t n = L->cout - o0 < 64 ? L->cout - o0 : 64;
            for (int32_t o = 0; o < n; o++) acc[o] = (uint32_t)L->bias[o0 + o];
            for (int32_t j = 0; j < tap_count; j++) {
                const int16_t *xj = x + offs[j];
                const int16_t *w = L->weights + (size_t)taps[j] * L->cin_pairs * L->cout_padded * 2;
                for (int32_t p = 0; p < L->cin_pairs; p++) {
                    int32_t a = xj[2 * p], b = xj[2 * p + 1];
                    const int16_t *wp = w + ((size_t)p * L->cout_padded + o0) * 2;
                    for (int32_t o = 0; o < n; o++)
                        acc[o] += (uint32_t)(a * wp[2 * o]) + (uint32_t)(b * wp[2 * o + 1]);
                }
            }
            int16_t *out = output + t * output_step + o0;
            for (int32_t o = 0; o < n; o++) out[o] = finish16(acc[o], L->shift, L->relu);
        }
    }
}

static void float_scalar(const lcae_float_layer *L, int32_t tap_count, const int32_t *taps, const ptrdiff_t *offs,
                         const float *input, ptrdiff_t input_step, int32_t count, float *output, ptrdiff_t output_step) {
    for (int32_t t = 0; t < count; t++) {
        float *out = output + t * output_step;
        for (int32_t o = 0; o < L->cout; o++) out[o] = L->bias[o];
        for (int32_t j = 0; j < tap_count; j++) {
            const float *x = input + t * input_step + offs[j];
            const float *w = L->weights + (size_t)taps[j] * L->cin * L->cout_padded;
            for (int32_t i = 0; i < L->cin; i++)
                for (int32_t o = 0; o < L->cout; o++) out[o] += x[i] * w[(size_t)i * L->cout_padded + o];
        }
        if (L->relu)
            for (int32_t o = 0; o < L->cout; o++) out[o] = out[o] < 0 ? 0 : out[o];
    }
}

#ifdef LCAE_X86

static inline int32_t pair_at(const int16_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

// The pointers of a group's inputs and outputs; past the last position the group repeats it
// (its results are not stored).
#define GROUP_POINTERS(T, TO, G)                                                     \
    const T *x[G];                                                                 \
    TO *out[G];                                                                    \
    for (int g = 0; g < G; g++) {                                                  \
        int32_t t = t0 + g < count ? t0 + g : count - 1;                           \
        x[g] = input + t * input_step;                                             \
        out[g] = output + t * output_step;                                         \
    }                                                                              \
    int32_t live = count - t0 < G ? count - t0 : G;

// Stores `lanes` int16 results of output channel o0 + v·lanes for each live position.
#define STORE16(vec_store, lanes, V)                                                         \
    for (int g = 0; g < live; g++) {                                                      \
        for (int v = 0; v < V; v++) {                                                     \
            int32_t o = o0 + v * (lanes);                                                 \
            int16_t tmp[16];                                                              \
            vec_store;                                                                    \
            int32_t n = L->cout - o < (lanes) ? L->cout - o : (lanes);                    \
            memcpy(out[g] + o, tmp, (size_t)n * 2);                                       \
        }                                                                                 \
    }

// A path's driver for blocks of one or two vectors of LANES output channels: every group of
// GROUP positions, every pair of vectors (one at the end when the channels run out).
#define DRIVER2(NAME, ATTR, LAYER, T, BLOCK, LANES)                                                       \
    ATTR static void NAME(const LAYER *L, int32_t tap_count, const int32_t *taps, const ptrdiff_t *offs,   \
                          const T *input, ptrdiff_t input_step, int32_t count, T *output,                  \
                          ptrdiff_t output_step) {                                                         \
        for (int32_t t0 = 0; t0 < count; t0 += GROUP) {                                                    \
            GROUP_POINTERS(T, T, GROUP)                                                                    \
            for (int32_t o0 = 0; o0 < L->cout; o0 += 2 * (LANES)) {                                        \
                if (L->cout - o0 > (LANES)) BLOCK##_2(L, tap_count, taps, offs, x, out, live, o0);          \
                else BLOCK##_1(L, tap_count, taps, offs, x, out, live, o0);                                \
            }                                                                                              \
        }                                                                                                  \
    }

// ---- SSE2: 4 lanes, pmaddwd ----------------------------------------------------------------

#define SSE2_BLOCK(V)                                                                                        \
    static inline __attribute__((always_inline)) void int16_sse2_block_##V(                              \
        const lcae_int16_layer *L, int32_t tap_count, const int32_t *taps, const ptrdiff_t *offs,          \
        const int16_t *const *x, int16_t *const *out, int32_t live, int32_t o0) {                          \
        __m128i acc[GROUP][V];                                                                             \
        for (int v = 0; v < V; v++) {                                                                      \
            __m128i b = _mm_loadu_si128((const __m128i *)(L->bias + o0 + 4 * v));                          \
            for (int g = 0; g < GROUP; g++) acc[g][v] = b;                                                 \
        }                                                                                                  \
        for (int32_t j = 0; j < tap_count; j++) {                                                          \
            const int16_t *w = L->weights + ((size_t)taps[j] * L->cin_pairs * L->cout_padded + o0) * 2;   \
            ptrdiff_t off = offs[j];                                                                       \
            for (int32_t p = 0; p < L->cin_pairs; p++) {                                                   \
                __m128i wv[V];                                                                             \
                for (int v = 0; v < V; v++)                                                                \
                    wv[v] = _mm_loadu_si128((const __m128i *)(w + ((size_t)p * L->cout_padded + 4 * v) * 2)); \
                for (int g = 0; g < GROUP; g++) {                                                          \
                    __m128i xb = _mm_set1_epi32(pair_at(x[g] + off + 2 * p));                               \
                    for (int v = 0; v < V; v++) acc[g][v] = _mm_add_epi32(acc[g][v], _mm_madd_epi16(xb, wv[v])); \
                }                                                                                          \
            }                                                                                              \
        }                                                                                                  \
        int32_t s = L->shift, bit = s == 0 ? 0 : 1;                                                        \
        __m128i count_s = _mm_cvtsi32_si128(s), count_s1 = _mm_cvtsi32_si128(s - bit);                     \
        __m128i one = _mm_set1_epi32(bit), zero = _mm_setzero_si128();                                      \
        STORE16({                                                                                          \
            __m128i a = acc[g][v];                                                                         \
            __m128i r = _mm_add_epi32(_mm_sra_epi32(a, count_s), _mm_and_si128(_mm_sra_epi32(a, count_s1), one)); \
            __m128i h = _mm_packs_epi32(r, r);                                                             \
            if (L->relu) h = _mm_max_epi16(h, zero);                                                       \
            _mm_storel_epi64((__m128i *)tmp, h);                                                           \
        }, 4, V)                                                                                            \
    }
SSE2_BLOCK(1)
SSE2_BLOCK(2)

DRIVER2(int16_sse2, , lcae_int16_layer, int16_t, int16_sse2_block, 4)

// ---- AVX2: 8 lanes, vpmaddwd ---------------------------------------------------------------

#define AVX2_TARGET __attribute__((always_inline, target("avx2,fma")))
#define AVX2_BLOCK(V)                                                                                        \
    static inline AVX2_TARGET void int16_avx2_block_##V(                                                  \
        const lcae_int16_layer *L, int32_t tap_count, const int32_t *taps, const ptrdiff_t *offs,          \
        const int16_t *const *x, int16_t *const *out, int32_t live, int32_t o0) {                          \
        __m256i acc[GROUP][V];                                                                             \
        for (int v = 0; v < V; v++) {                                                                      \
            __m256i b = _mm256_loadu_si256((const __m256i *)(L->bias + o0 + 8 * v));                       \
            for (int g = 0; g < GROUP; g++) acc[g][v] = b;                                                 \
        }                                                                                                  \
        for (int32_t j = 0; j < tap_count; j++) {                                                          \
            const int16_t *w = L->weights + ((size_t)taps[j] * L->cin_pairs * L->cout_padded + o0) * 2;   \
            ptrdiff_t off = offs[j];                                                                       \
            for (int32_t p = 0; p < L->cin_pairs; p++) {                                                   \
                __m256i wv[V];                                                                             \
                for (int v = 0; v < V; v++)                                                                \
                    wv[v] = _mm256_loadu_si256((const __m256i *)(w + ((size_t)p * L->cout_padded + 8 * v) * 2)); \
                for (int g = 0; g < GROUP; g++) {                                                          \
                    __m256i xb = _mm256_set1_epi32(pair_at(x[g] + off + 2 * p));                            \
                    for (int v = 0; v < V; v++)                                                            \
                        acc[g][v] = _mm256_add_epi32(acc[g][v], _mm256_madd_epi16(xb, wv[v]));             \
                }                                                                                          \
            }                                                                                              \
        }                                                                                                  \
        int32_t s = L->shift, bit = s == 0 ? 0 : 1;                                                        \
        __m128i count_s = _mm_cvtsi32_si128(s), count_s1 = _mm_cvtsi32_si128(s - bit);                     \
        __m256i one = _mm256_set1_epi32(bit);                                                              \
        __m128i zero = _mm_setzero_si128();                                                                \
        STORE16({                                                                                          \
            __m256i a = acc[g][v];                                                                         \
            __m256i r = _mm256_add_epi32(_mm256_sra_epi32(a, count_s),                                     \
                                         _mm256_and_si256(_mm256_sra_epi32(a, count_s1), one));            \
            __m128i h = _mm_packs_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));        \
            if (L->relu) h = _mm_max_epi16(h, zero);                                                       \
            _mm_storeu_si128((__m128i *)tmp, h);                                                           \
        }, 8, V)                                                                                            \
    }
AVX2_BLOCK(1)
AVX2_BLOCK(2)

DRIVER2(int16_avx2, __attribute__((target("avx2,fma"))), lcae_int16_layer, int16_t, int16_avx2_block, 8)

// ---- AVX-512 VNNI: 16 lanes, vpdpwssd --------------------------------------------------------

#define AVX512_TARGET __attribute__((always_inline, target("avx512f,avx512bw,avx512vnni,avx2,fma")))
#define AVX512_BLOCK(V, G)                                                                                      \
    static inline AVX512_TARGET void int16_avx512_block_##V##_##G(                                              \
        const lcae_int16_layer *L, int32_t tap_count, const int32_t *taps, const ptrdiff_t *offs,          \
        const int16_t *const *x, int16_t *const *out, int32_t live, int32_t o0) {                          \
        __m512i acc[G][V];                                                                                     \
        for (int v = 0; v < V; v++) {                                                                      \
            __m512i b = _mm512_loadu_si512((const void *)(L->bias + o0 + 16 * v));                         \
            for (int g = 0; g < G; g++)     acc[g][v] = b;                                                 \
        }                                                                                                  \
        for (int32_t j = 0; j < tap_count; j++) {                                                          \
            const int16_t *w = L->weights + ((size_t)taps[j] * L->cin_pairs * L->cout_padded + o0) * 2;   \
            ptrdiff_t off = offs[j];                                                                       \
            for (int32_t p = 0; p < L->cin_pairs; p++) {                                                   \
                __m512i wv[V];                                                                             \
                for (int v = 0; v < V; v++)                                                                \
                    wv[v] = _mm512_loadu_si512((const void *)(w + ((size_t)p * L->cout_padded + 16 * v) * 2)); \
                for (int g = 0; g < G; g++)     {                                                          \
                    __m512i xb = _mm512_set1_epi32(pair_at(x[g] + off + 2 * p));                            \
                    for (int v = 0; v < V; v++) acc[g][v] = _mm512_dpwssd_epi32(acc[g][v], xb, wv[v]);     \
                }                                                                                          \
            }                                                                                              \
        }                                                                                                  \
        int32_t s = L->shift, bit = s == 0 ? 0 : 1;                                                        \
        __m128i count_s = _mm_cvtsi32_si128(s), count_s1 = _mm_cvtsi32_si128(s - bit);                     \
        __m512i one = _mm512_set1_epi32(bit);                                                              \
        __m256i zero = _mm256_setzero_si256();                                                             \
        STORE16({                                                                                          \
            __m512i a = acc[g][v];                                                                         \
            __m512i r = _mm512_add_epi32(_mm512_sra_epi32(a, count_s),                                     \
                                         _mm512_and_si512(_mm512_sra_epi32(a, count_s1), one));            \
            __m256i h = _mm512_cvtsepi32_epi16(r);                                                         \
            if (L->relu) h = _mm256_max_epi16(h, zero);                                                    \
            _mm256_storeu_si256((__m256i *)tmp, h);                                                        \
        }, 16, V)                                                                                            \
    }
// Accumulators: V vectors of 16 output channels for each of G positions, V × G ≤ 24 of the
// 32 registers, leaving room for the V weight vectors and a broadcast input pair.
AVX512_BLOCK(1, 8)
AVX512_BLOCK(2, 8)
AVX512_BLOCK(3, 8)
AVX512_BLOCK(4, 6)

__attribute__((target("avx512f,avx512bw,avx512vnni,avx2,fma")))
static void int16_avx512(const lcae_int16_layer *L, int32_t tap_count, const int32_t *taps, const ptrdiff_t *offs,
                         const int16_t *input, ptrdiff_t input_step, int32_t count, int16_t *output,
                         ptrdiff_t output_step) {
    // Output channels in blocks of equal width where possible (96 = 2 × 48 rather than 64 + 32).
    int32_t vectors = (L->cout + 15) / 16;
    int32_t width = vectors % 4 == 0 ? 4 : vectors % 3 == 0 ? 3 : 4;
    for (int32_t o0 = 0; o0 < L->cout; o0 += 16 * width) {
        int32_t v = (L->cout - o0 + 15) / 16;
        if (v > width) v = width;
        switch (v) {
        case 1:
            for (int32_t t0 = 0; t0 < count; t0 += 8) {
                GROUP_POINTERS(int16_t, int16_t, 8)
                int16_avx512_block_1_8(L, tap_count, taps, offs, x, out, live, o0);
            }
            break;
        case 2:
            for (int32_t t0 = 0; t0 < count; t0 += 8) {
                GROUP_POINTERS(int16_t, int16_t, 8)
                int16_avx512_block_2_8(L, tap_count, taps, offs, x, out, live, o0);
            }
            break;
        case 3:
            for (int32_t t0 = 0; t0 < count; t0 += 8) {
                GROUP_POINTERS(int16_t, int16_t, 8)
                int16_avx512_block_3_8(L, tap_count, taps, offs, x, out, live, o0);
            }
            break;
        default:
            for (int32_t t0 = 0; t0 < count; t0 += 6) {
                GROUP_POINTERS(int16_t, int16_t, 6)
                int16_avx512_block_4_6(L, tap_count, taps, offs, x, out, live, o0);
            }
            break;
        }
    }
}

// ---- float kernels ---------------------------------------------------------------------------

// Stores `lanes` floats of output channel o0 + v·lanes for each live position.
#define STORE_FLOAT(vec_store, lanes, V)                                                     \
    for (int g = 0; g < live; g++) {                                                      \
        for (int v = 0; v < V; v++) {                                                     \
            int32_t o = o0 + v * (lanes);                                                 \
            float tmp[16];                                                                \
            vec_store;                                                                    \
            int32_t n = L->cout - o < (lanes) ? L->cout - o : (lanes);                    \
            memcpy(out[g] + o, tmp, (size_t)n * 4);                                       \
        }                                                                                 \
    }

#define FLOAT_BLOCK(NAME, ATTR, VEC, LANES, LOAD, SET1, MULADD, MAX, ZERO, STORE, V)                        \
    static inline ATTR void NAME##_##V(const lcae_float_layer *L, int32_t tap_count, const int32_t *taps,  \
                                       const ptrdiff_t *offs, const float *const *x, float *const *out,    \
                                       int32_t live, int32_t o0) {                                         \
        VEC acc[GROUP][V];                                                                                 \
        for (int v = 0; v < V; v++) {                                                                      \
            VEC b = LOAD(L->bias + o0 + LANES * v);                                                        \
            for (int g = 0; g < GROUP; g++) acc[g][v] = b;                                                 \
        }                                                                                                  \
        for (int32_t j = 0; j < tap_count; j++) {                                                          \
            const float *w = L->weights + (size_t)taps[j] * L->cin * L->cout_padded + o0;                  \
            ptrdiff_t off = offs[j];                                                                       \
            for (int32_t i = 0; i < L->cin; i++) {                                                         \
                VEC wv[V];                                                                                 \
                for (int v = 0; v < V; v++) wv[v] = LOAD(w + (size_t)i * L->cout_padded + LANES * v);      \
                for (int g = 0; g < GROUP; g++) {                                                          \
                    VEC xb = SET1(x[g][off + i]);                                                          \
                    for (int v = 0; v < V; v++) acc[g][v] = MULADD(xb, wv[v], acc[g][v]);                  \
                }                                                                                          \
            }                                                                                              \
        }                                                                                                  \
        VEC zero = ZERO();                                                                                 \
        STORE_FLOAT({                                                                                      \
            VEC r = acc[g][v];                                                                             \
            if (L->relu) r = MAX(r, zero);                                                                 \
            STORE(tmp, r);                                                                                 \
        }, LANES, V)                                                                                         \
    }

static inline __m128 sse2_muladd(__m128 a, __m128 b, __m128 c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
#define SSE2_ATTR __attribute__((always_inline))
FLOAT_BLOCK(float_sse2_block, SSE2_ATTR, __m128, 4, _mm_loadu_ps, _mm_set1_ps, sse2_muladd, _mm_max_ps, _mm_setzero_ps, _mm_storeu_ps, 1)
FLOAT_BLOCK(float_sse2_block, SSE2_ATTR, __m128, 4, _mm_loadu_ps, _mm_set1_ps, sse2_muladd, _mm_max_ps, _mm_setzero_ps, _mm_storeu_ps, 2)
FLOAT_BLOCK(float_avx2_block, AVX2_TARGET, __m256, 8, _mm256_loadu_ps, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_max_ps, _mm256_setzero_ps, _mm256_storeu_ps, 1)
FLOAT_BLOCK(float_avx2_block, AVX2_TARGET, __m256, 8, _mm256_loadu_ps, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_max_ps, _mm256_setzero_ps, _mm256_storeu_ps, 2)
FLOAT_BLOCK(float_avx512_block, AVX512_TARGET, __m512, 16, _mm512_loadu_ps, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_max_ps, _mm512_setzero_ps, _mm512_storeu_ps, 1)
FLOAT_BLOCK(float_avx512_block, AVX512_TARGET, __m512, 16, _mm512_loadu_ps, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_max_ps, _mm512_setzero_ps, _mm512_storeu_ps, 2)
FLOAT_BLOCK(float_avx512_block, AVX512_TARGET, __m512, 16, _mm512_loadu_ps, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_max_ps, _mm512_setzero_ps, _mm512_storeu_ps, 3)
FLOAT_BLOCK(float_avx512_block, AVX512_TARGET, __m512, 16, _mm512_loadu_ps, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_max_ps, _mm512_setzero_ps, _mm512_storeu_ps, 4)

DRIVER2(float_sse2, , lcae_float_layer, float, float_sse2_block, 4)
DRIVER2(float_avx2, __attribute__((target("avx2,fma"))), lcae_float_layer, float, float_avx2_block, 8)

__attribute__((target("avx512f,avx512bw,avx512vnni,avx2,fma")))
static void float_avx512(const lcae_float_layer *L, int32_t tap_count, const int32_t *taps, const ptrdiff_t *offs,
                         const float *input, ptrdiff_t input_step, int32_t count, float *output, ptrdiff_t output_step) {
    for (int32_t t0 = 0; t0 < count; t0 += GROUP) {
        GROUP_POINTERS(float, float, GROUP)
        for (int32_t o0 = 0; o0 < L->cout; o0 += 64) {
            int32_t vectors = (L->cout - o0 + 15) / 16;
            switch (vectors) {
            case 1: float_avx512_block_1(L, tap_count, taps, offs, x, out, live, o0); break;
            case 2: float_avx512_block_2(L, tap_count, taps, offs, x, out, live, o0); break;
            case 3: float_avx512_block_3(L, tap_count, taps, offs, x, out, live, o0); break;
            default: float_avx512_block_4(L, tap_count, taps, offs, x, out, live, o0); break;
            }
        }
    }
}

// ---- peak multiply-add rate ------------------------------------------------------------------

#define PEAK_CHAINS 12

static int64_t peak_sse2(int64_t iterations, int32_t seed, int32_t *sink) {
    __m128i acc[PEAK_CHAINS], w = _mm_set1_epi32(seed * 7 + 1);
    for (int i = 0; i < PEAK_CHAINS; i++) acc[i] = _mm_set1_epi32(seed + i);
    for (int64_t n = 0; n < iterations; n++) {
        for (int i = 0; i < PEAK_CHAINS; i++) acc[i] = _mm_add_epi32(acc[i], _mm_madd_epi16(acc[i], w));
        __asm__ volatile("" : "+x"(w));  // keeps the compiler from folding the products
    }
    __m128i sum = acc[0];
    for (int i = 1; i < PEAK_CHAINS; i++) sum = _mm_add_epi32(sum, acc[i]);
    *sink = _mm_cvtsi128_si32(sum);
    return iterations * PEAK_CHAINS * 8;
}

__attribute__((target("avx2,fma")))
static int64_t peak_avx2(int64_t iterations, int32_t seed, int32_t *sink) {
    __m256i acc[PEAK_CHAINS], w = _mm256_set1_epi32(seed * 7 + 1);
    for (int i = 0; i < PEAK_CHAINS; i++) acc[i] = _mm256_set1_epi32(seed + i);
    for (int64_t n = 0; n < iterations; n++) {
        for (int i = 0; i < PEAK_CHAINS; i++) acc[i] = _mm256_add_epi32(acc[i], _mm256_madd_epi16(acc[i], w));
        __asm__ volatile("" : "+x"(w));
    }
    __m256i sum = acc[0];
    for (int i = 1; i < PEAK_CHAINS; i++) sum = _mm256_add_epi32(sum, acc[i]);
    *sink = _mm_cvtsi128_si32(_mm256_castsi256_si128(sum));
    return iterations * PEAK_CHAINS * 16;
}

__attribute__((target("avx512f,avx512bw,avx512vnni,avx2,fma")))
static int64_t peak_avx512(int64_t iterations, int32_t seed, int32_t *sink) {
    __m512i acc[PEAK_CHAINS], w = _mm512_set1_epi32(seed * 7 + 1);
    for (int i = 0; i < PEAK_CHAINS; i++) acc[i] = _mm512_set1_epi32(seed + i);
    for (int64_t n = 0; n < iterations; n++) {
        for (int i = 0; i < PEAK_CHAINS; i++) acc[i] = _mm512_dpwssd_epi32(acc[i], acc[i], w);
        __asm__ volatile("" : "+v"(w));
    }
    __m512i sum = acc[0];
    for (int i = 1; i < PEAK_CHAINS; i++) sum = _mm512_add_epi32(sum, acc[i]);
    *sink = _mm_cvtsi128_si32(_mm512_castsi512_si128(sum));
    return iterations * PEAK_CHAINS * 32;
}

int lcae_convolution_best_path(void) {
    static int cached = -1;  // every thread computes the same value: a relaxed race is harmless
    int best = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (best < 0) {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
            best = LCAE_PATH_AVX512;
        else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
            best = LCAE_PATH_AVX2;
        else
            best = LCAE_PATH_SSE2;
        __atomic_store_n(&cached, best, __ATOMIC_RELAXED);
    }
    return best;
}

#else

int lcae_convolution_best_path(void) { return LCAE_PATH_SCALAR; }

#endif

int64_t lcae_int16_peak(int path, int64_t iterations, int32_t seed, int32_t *sink) {
    if (path > lcae_convolution_best_path()) return 0;
    switch (path) {
#ifdef LCAE_X86
    case LCAE_PATH_AVX512: return peak_avx512(iterations, seed, sink);
    case LCAE_PATH_AVX2: return peak_avx2(iterations, seed, sink);
    case LCAE_PATH_SSE2: return peak_sse2(iterations, seed, sink);
#endif
    default: {
        uint32_t acc = (uint32_t)seed;
        for (int64_t n = 0; n < iterations; n++) acc = acc * 3u + (uint32_t)(seed * (int32_t)n);
        *sink = (int32_t)acc;
        return iterations;
    }
    }
}

void lcae_int16_convolve(const lcae_int16_layer *layer, int32_t tap_count, const int32_t *taps,
                         const ptrdiff_t *tap_offsets, const int16_t *input, ptrdiff_t input_step,
                         int32_t count, int16_t *output, ptrdiff_t output_step, int path) {
    if (count <= 0 || path > lcae_convolution_best_path()) return;
    switch (path) {
#ifdef LCAE_X86
    case LCAE_PATH_AVX512: int16_avx512(layer, tap_count, taps, tap_offsets, input, input_step, count, output, output_step); return;
    case LCAE_PATH_AVX2: int16_avx2(layer, tap_count, taps, tap_offsets, input, input_step, count, output, output_step); return;
    case LCAE_PATH_SSE2: int16_sse2(layer, tap_count, taps, tap_offsets, input, input_step, count, output, output_step); return;
#endif
    default: int16_scalar(layer, tap_count, taps, tap_offsets, input, input_step, count, output, output_step); return;
    }
}

void lcae_float_convolve(const lcae_float_layer *layer, int32_t tap_count, const int32_t *taps,
                         const ptrdiff_t *tap_offsets, const float *input, ptrdiff_t input_step,
                         int32_t count, float *output, ptrdiff_t output_step, int path) {
    if (count <= 0 || path > lcae_convolution_best_path()) return;
    switch (path) {
#ifdef LCAE_X86
    case LCAE_PATH_AVX512: float_avx512(layer, tap_count, taps, tap_offsets, input, input_step, count, output, output_step); return;
    case LCAE_PATH_AVX2: float_avx2(layer, tap_count, taps, tap_offsets, input, input_step, count, output, output_step); return;
    case LCAE_PATH_SSE2: float_sse2(layer, tap_count, taps, tap_offsets, input, input_step, count, output, output_step); return;
#endif
    default: float_scalar(layer, tap_count, taps, tap_offsets, input, input_step, count, output, output_step); return;
    }
}
