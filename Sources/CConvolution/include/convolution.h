// Convolution kernels for LCAE's synthesis (int16, spec §15.4.2) and analysis (float, §15.6).
//
// One routine computes a run of output positions of one (transposed) convolution layer that
// share their taps: output position t reads, for each tap j, the input channels at
// input + t · input_step + tap_offsets[j], and multiplies them by that tap's weights. The
// caller lays the input out zero-padded so every tap's read is in bounds (LCAE's
// ConvolutionKernel does this); a convolution's run is an output row, a transposed
// convolution's run is the positions of a row with the same column phase.
//
// The integer kernels multiply int16 pairs into int32 pair sums (pmaddwd / vpdpwssd) and add
// them modulo 2^32. A pair sum is exact modulo 2^32 (only −32768 · −32768 twice leaves int32,
// and it wraps to the same residue), and sums modulo 2^32 do not depend on their order, so
// every path gives the spec's bits. The float kernels are the encoder's and not normative.
#ifndef LCAE_CONVOLUTION_H
#define LCAE_CONVOLUTION_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction set a kernel uses. `lcae_convolution_best_path` says which the CPU supports.
enum {
    LCAE_PATH_SCALAR = 0,  ///< portable C, any CPU
    LCAE_PATH_SSE2 = 1,    ///< x86-64 baseline: 4 lanes
    LCAE_PATH_AVX2 = 2,    ///< 8 lanes (float: FMA)
    LCAE_PATH_AVX512 = 3,  ///< 16 lanes; the int16 kernel needs AVX-512 VNNI (vpdpwssd)
};

/// The fastest path this CPU runs (x86-64: checked with cpuid once; elsewhere scalar).
int lcae_convolution_best_path(void);

/// One int16 layer, weights packed by tap: `weights[((tap · cin_pairs + p) · cout_padded + o) · 2 + e]`
/// is the weight of input channel 2p + e for output o at kernel position tap; channels past
/// the layer's count have weight 0. cout_padded is a multiple of 16; bias has cout_padded
/// entries.
typedef struct {
    const int16_t *weights;
    const int32_t *bias;
    int32_t cin_pairs;
    int32_t cout;
    int32_t cout_padded;
    int32_t shift;  ///< ≤ 31: out = sat16(round_shift(acc, shift))
    int32_t relu;   ///< nonzero: max(out, 0) as well (a following ReLU layer)
} lcae_int16_layer;

/// `count` output positions. Input channels are 2 · cin_pairs int16 per position (the caller
/// pads odd counts with a zero channel); tap j reads weights of kernel position taps[j] at
/// element offset tap_offsets[j]. Output position t is written at output + t · output_step
/// (cout values). Returns without writing if path is above what the CPU supports.
void lcae_int16_convolve(const lcae_int16_layer *layer, int32_t tap_count, const int32_t *taps,
                         const ptrdiff_t *tap_offsets, const int16_t *input, ptrdiff_t input_step,
                         int32_t count, int16_t *output, ptrdiff_t output_step, int path);

/// The float form, for analysis: weights `[(tap · cin + i) · cout_padded + o]`, already divided
/// by 2^shift, and bias likewise; out = bias + Σ w · x, then max(out, 0) if relu.
typedef struct {
    const float *weights;
    const float *bias;
    int32_t cin;
    int32_t cout;
    int32_t cout_padded;
    int32_t relu;
} lcae_float_layer;

void lcae_float_convolve(const lcae_float_layer *layer, int32_t tap_count, const int32_t *taps,
                         const ptrdiff_t *tap_offsets, const float *input, ptrdiff_t input_step,
                         int32_t count, float *output, ptrdiff_t output_step, int path);

/// The int16 multiply-add peak of a path, for benchmarks: runs `iterations` rounds of
/// independent multiply-adds on registers alone (vpdpwssd, or pmaddwd + paddd) and returns
/// how many int16 multiply-adds that was (0 if the CPU lacks the path). `seed` keeps the
/// compiler from folding the loop; the result's low bits depend on it.
int64_t lcae_int16_peak(int path, int64_t iterations, int32_t seed, int32_t *sink);

#ifdef __cplusplus
}
#endif

#endif
