//! CPU helpers for custom ops on small networks: a fast float32 tanh, an eight-lane dot
//! product and the argument check every custom op needs.
//!
//! ## tanh
//!
//! glibc's `tanhf` goes through `expm1f` and took 40% of a PPO update's time (65k calls per
//! minibatch step). This is the clamped rational approximation Eigen uses for float tanh
//! (odd degree-13 numerator over even degree-6 denominator, clamped at |x| = 7.9053, where
//! tanh rounds to ±1 in float32); it has no branches in the loop, so it vectorises, and it
//! stays within a few float32 ulps of the exact value (tested below).

use candle_core::{CpuStorage, Layout};

const CLAMP: f32 = 7.905_311;
const A1: f32 = 4.893_524_6e-3;
const A3: f32 = 6.372_619e-4;
const A5: f32 = 1.485_722_4e-5;
const A7: f32 = 5.122_297e-8;
const A9: f32 = -8.604_672e-11;
const A11: f32 = 2.000_188e-13;
const A13: f32 = -2.760_768_5e-16;
const B0: f32 = 4.893_525e-3;
const B2: f32 = 2.268_434_6e-3;
const B4: f32 = 1.185_347e-4;
const B6: f32 = 1.198_258_4e-6;

/// tanh of one value.
#[inline(always)]
pub fn tanh_f32(x: f32) -> f32 {
    let c = x.clamp(-CLAMP, CLAMP);
    let x2 = c * c;
    let mut p = A13;
    p = p * x2 + A11;
    p = p * x2 + A9;
    p = p * x2 + A7;
    p = p * x2 + A5;
    p = p * x2 + A3;
    p = p * x2 + A1;
    p *= c;
    let mut q = B6;
    q = q * x2 + B4;
    q = q * x2 + B2;
    q = q * x2 + B0;
    // Eigen returns x itself below |x| = 4e-4; the ratio is within a few ulps of tanh there
    // (tested), and without that branch an in-place loop stores unmasked, which on AMD
    // CPUs is several times faster than the masked store the branch compiles to.
    p / q
}

/// tanh of every value in place. On x86-64 CPUs with AVX2 the same loop is compiled for
/// eight lanes (chosen at run time, so the binary still runs anywhere); Rust never fuses a
/// multiply and an add on its own, so both paths give bit-identical results.
pub fn tanh_in_place(v: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, the only feature `tanh_avx2` is compiled for.
        unsafe { tanh_avx2(v) };
        return;
    }
    tanh_loop(v);
}

#[inline(always)]
fn tanh_loop(v: &mut [f32]) {
    for x in v.iter_mut() {
        *x = tanh_f32(*x);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn tanh_avx2(v: &mut [f32]) {
    tanh_loop(v);
}

/// The f32 values of a contiguous CPU tensor argument of a custom op; `what` names the op
/// and the argument in the error.
pub fn contiguous_f32<'a>(
    s: &'a CpuStorage,
    l: &Layout,
    what: &str,
) -> candle_core::Result<&'a [f32]> {
    let CpuStorage::F32(data) = s else {
        candle_core::bail!("{what} must be f32");
    };
    let Some((start, end)) = l.contiguous_offsets() else {
        candle_core::bail!("{what} must be contiguous");
    };
    Ok(&data[start..end])
}

/// `x · y` in eight interleaved partial sums (one vector register; a single running sum is
/// a serial chain the compiler may not reorder).
pub fn dot(x: &[f32], y: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
    let tail: f32 = xc
        .remainder()
        .iter()
        .zip(yc.remainder())
        .map(|(a, b)| a * b)
        .sum();
    for (a8, b8) in xc.zip(yc) {
        for ((s, a), b) in acc.iter_mut().zip(a8).zip(b8) {
            *s += a * b;
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// The `cols × rows` transpose of a row-major `rows × cols` matrix (exact: values are only
/// moved): each output row gathers one column with a strided iterator, with no division
/// and no bounds check per element.
pub fn transpose(m: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    debug_assert_eq!(m.len(), rows * cols);
    let mut out = Vec::with_capacity(rows * cols);
    for c in 0..cols {
        out.extend(m[c..].iter().step_by(cols));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_std_tanh_within_a_few_ulps() {
        let mut worst = 0.0f64;
        let mut x = -12.0f32;
        while x < 12.0 {
            let exact = (x as f64).tanh();
            let err = (tanh_f32(x) as f64 - exact).abs();
            worst = worst.max(err / exact.abs().clamp(f32::EPSILON as f64, 1.0));
            x += 0.000_37;
        }
        assert!(
            worst < 8.0 * f32::EPSILON as f64,
            "worst scaled error {worst}"
        );
        assert_eq!(tanh_f32(0.0), 0.0);
        for tiny in [1e-6f32, -3e-5, 3.9e-4, 1e-30] {
            let exact = (tiny as f64).tanh();
            let rel = ((tanh_f32(tiny) as f64 - exact) / exact).abs();
            assert!(
                rel < 4.0 * f32::EPSILON as f64,
                "tanh({tiny}): relative error {rel}"
            );
        }
        assert!((tanh_f32(50.0) - 1.0).abs() <= f32::EPSILON);
    }

    #[test]
    fn the_slice_version_equals_the_scalar_one_bit_for_bit() {
        let xs: Vec<f32> = (0..1000).map(|i| (i as f32 - 500.0) * 0.021).collect();
        let mut v = xs.clone();
        tanh_in_place(&mut v);
        for (x, y) in xs.iter().zip(&v) {
            assert_eq!(y.to_bits(), tanh_f32(*x).to_bits(), "at {x}");
        }
    }

    #[test]
    fn transpose_moves_every_value() {
        let m: Vec<f32> = (0..6).map(|v| v as f32).collect();
        assert_eq!(transpose(&m, 2, 3), [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
        assert_eq!(transpose(&transpose(&m, 2, 3), 3, 2), m);
    }
}
