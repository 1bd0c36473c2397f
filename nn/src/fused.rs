//! A dense layer `act(x Wᵀ + b)` as one candle op, the fast path for small networks on the
//! CPU.
//!
//! Built from candle's generic ops, a layer is three graph nodes (matmul, bias, activation):
//! two intermediate tensors forward, and backward three more gradient buffers that candle's
//! backprop zero-fills and then adds into. At CartPole's sizes (256 × 64) that bookkeeping
//! and the memory traffic cost as much as the matrix products. Here the forward pass starts
//! the output from the bias rows, lets `gemm` (the kernel candle itself uses) accumulate
//! `x Wᵀ` into it and applies the activation in the same buffer; the backward pass is one
//! elementwise pass and the two (or three) products the chain rule needs.
//!
//! The result equals candle's generic ops up to float rounding (its tanh is a rational
//! approximation; see [`crate::cpu`]), so a network keeps one path for its whole life.

use crate::cpu::{contiguous_f32, dot, tanh_in_place, transpose};
use crate::Activation;
use std::borrow::Cow;

use candle_core::{bail, CpuStorage, CustomOp2, CustomOp3, DType, Layout, Shape, Tensor};

/// `act(x wᵀ + b)` for `x: (rows, in)`, `w: (out, in)`, `b: (out,)`; `act = None` is a
/// linear layer. Uses the fused op for rank-2 f32 tensors on the CPU and candle's own ops
/// elsewhere (same result up to float rounding).
pub fn dense_fused(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    act: Option<Activation>,
) -> candle_core::Result<Tensor> {
    let fused = x.device().is_cpu() && x.dtype() == DType::F32 && x.rank() == 2;
    if fused {
        return x
            .contiguous()?
            .apply_op3(&w.contiguous()?, &b.contiguous()?, Dense { act });
    }
    crate::dense(x, w, b, act)
}

struct Dense {
    act: Option<Activation>,
}

impl CustomOp3 for Dense {
    fn name(&self) -> &'static str {
        "dense"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = contiguous_f32(s1, l1, "dense: input")?;
        let w = contiguous_f32(s2, l2, "dense: weight")?;
        let b = contiguous_f32(s3, l3, "dense: bias")?;
        let (rows, fan_in) = l1.shape().dims2()?;
        let (fan_out, w_in) = l2.shape().dims2()?;
        if w_in != fan_in || b.len() != fan_out {
            bail!(
                "dense: input {:?}, weight {:?} and bias {:?} do not fit together",
                l1.dims(),
                l2.dims(),
                l3.dims()
            );
        }
        let prepared = prepare_weight(w, fan_out, fan_in);
        let out = forward_values(x, &prepared, b, self.act, (rows, fan_in, fan_out))?;
        Ok((CpuStorage::F32(out), Shape::from((rows, fan_out))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        // The gradient with respect to the pre-activation `z = x wᵀ + b`, with its column
        // sums (the bias gradient) as one extra row, in one pass.
        let rows = grad.dim(0)?;
        let gz_and_gb = res
            .contiguous()?
            .apply_op2_no_bwd(&grad.contiguous()?, &PreActivationGrad(self.act))?;
        let gz = gz_and_gb.narrow(0, 0, rows)?;
        let gb = gz_and_gb.narrow(0, rows, 1)?.squeeze(0)?;
        if gz.dim(1)? < THIN {
            let (fan_out, fan_in) = w.dims2()?;
            let flat = x
                .contiguous()?
                .apply_op3_no_bwd(&w.contiguous()?, &gz, &ThinGrads)?;
            let gw = flat.narrow(0, 0, fan_out * fan_in)?.reshape(w.shape())?;
            let gx = flat.narrow(0, fan_out * fan_in, rows * fan_in)?;
            return Ok((Some(gx.reshape(x.shape())?), Some(gw), Some(gb)));
        }
        // The network's input (observations) needs no gradient: skip that product.
        let gx = if x.track_op() {
            Some(gz.matmul(w)?)
        } else {
            None
        };
        let gw = x
            .contiguous()?
            .apply_op2_no_bwd(&gz.contiguous()?, &WeightGrad)?;
        Ok((gx, Some(gw), Some(gb)))
    }
}

/// `grad * act'(z)` written from the activation's output `y` (`1 - y²` for tanh, `y > 0`
/// for ReLU, 0 at 0 as candle's relu; `grad` itself for the linear layer), followed by one
/// more row: the column sums of the rows above, i.e. the bias gradient.
struct PreActivationGrad(Option<Activation>);
impl CustomOp2 for PreActivationGrad {
    fn name(&self) -> &'static str {
        "pre-activation-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let y = contiguous_f32(s1, l1, "pre-activation-grad: output")?;
        let g = contiguous_f32(s2, l2, "pre-activation-grad: gradient")?;
        let (rows, cols) = l1.shape().dims2()?;
        if l2.dims() != l1.dims() {
            bail!("pre-activation-grad: {:?} vs {:?}", l1.dims(), l2.dims());
        }
        let mut out = Vec::with_capacity((rows + 1) * cols);
        match self.0 {
            None => out.extend_from_slice(g),
            Some(Activation::Tanh) => out.extend(y.iter().zip(g).map(|(y, g)| g * (1.0 - y * y))),
            Some(Activation::Relu) => {
                out.extend(
                    y.iter()
                        .zip(g)
                        .map(|(&y, &g)| if y > 0.0 { g } else { 0.0 }),
                )
            }
        }
        let mut sums = vec![0.0f32; cols];
        for row in out.chunks_exact(cols) {
            for (s, v) in sums.iter_mut().zip(row) {
                *s += v;
            }
        }
        out.extend_from_slice(&sums);
        Ok((CpuStorage::F32(out), Shape::from((rows + 1, cols))))
    }
}

/// Layers with fewer outputs than this (the policy and value heads) skip gemm, whose
/// packing costs more than such thin products: a (256 × 64) @ (64 × 2) product took 6 µs
/// there (10 GFLOP/s, against 80 for the 64-wide layers); plain loops over rows take a
/// fraction of that.
const THIN: usize = 8;

/// The two gradients of a thin layer (`n < THIN` outputs) from its input `x: (rows, k)`,
/// weight `w: (n, k)` and pre-activation gradient `gz: (rows, n)`, as one flat buffer:
/// `gw = gzᵀ x` (`n × k`) followed by `gx = gz w` (`rows × k`).
struct ThinGrads;

impl CustomOp3 for ThinGrads {
    fn name(&self) -> &'static str {
        "thin-grads"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = contiguous_f32(s1, l1, "thin-grads: input")?;
        let w = contiguous_f32(s2, l2, "thin-grads: weight")?;
        let gz = contiguous_f32(s3, l3, "thin-grads: gradient")?;
        let (rows, k) = l1.shape().dims2()?;
        let n = l2.shape().dims2()?.0;
        if l2.dims() != [n, k] || l3.dims() != [rows, n] {
            bail!(
                "thin-grads: {:?}, {:?}, {:?} do not fit",
                l1.dims(),
                l2.dims(),
                l3.dims()
            );
        }
        let mut out = vec![0.0f32; n * k + rows * k];
        let (gw, gx) = out.split_at_mut(n * k);
        for ((xr, gzr), gxr) in x
            .chunks_exact(k)
            .zip(gz.chunks_exact(n))
            .zip(gx.chunks_exact_mut(k))
        {
            for ((g, wj), gwj) in gzr
                .iter()
                .zip(w.chunks_exact(k))
                .zip(gw.chunks_exact_mut(k))
            {
                axpy(*g, xr, gwj);
                axpy(*g, wj, gxr);
            }
        }
        Ok((CpuStorage::F32(out), Shape::from(n * k + rows * k)))
    }
}

/// `y += a x`.
#[inline]
fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// The weight gradient `gw = gzᵀ x` (`n × k`) of a wide layer from its input `x: (rows, k)`
/// and pre-activation gradient `gz: (rows, n)`. It is the product candle's `xᵀ.matmul(gz)`
/// makes — the same gemm call, so every element sums over the rows in the same order as
/// when the weight was stored `[in, out]` — written straight into the `[out, in]` layout
/// through the destination's strides instead of being transposed afterwards.
struct WeightGrad;

impl CustomOp2 for WeightGrad {
    fn name(&self) -> &'static str {
        "weight-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = contiguous_f32(s1, l1, "weight-grad: input")?;
        let gz = contiguous_f32(s2, l2, "weight-grad: gradient")?;
        let (rows, k) = l1.shape().dims2()?;
        let (gz_rows, n) = l2.shape().dims2()?;
        if gz_rows != rows {
            bail!(
                "weight-grad: {:?} and {:?} do not fit",
                l1.dims(),
                l2.dims()
            );
        }
        let mut gw = vec![0.0f32; n * k];
        let threads = candle_core::utils::get_num_threads();
        let parallelism = if threads > 1 {
            gemm::Parallelism::Rayon(threads)
        } else {
            gemm::Parallelism::None
        };
        // SAFETY: `x` holds rows × k values read as its transpose (k × rows: column stride
        // k, row stride 1), `gz` rows × n (row-major), `gw` n × k written as a k × n matrix
        // (column stride k, row stride 1); the lengths were checked above or allocated
        // here, and the output does not alias the inputs.
        unsafe {
            gemm::gemm(
                k,
                n,
                rows,
                gw.as_mut_ptr(),
                k as isize,
                1,
                false,
                x.as_ptr(),
                k as isize,
                1,
                gz.as_ptr(),
                1,
                n as isize,
                0.0,
                1.0,
                false,
                false,
                false,
                parallelism,
            );
        }
        Ok((CpuStorage::F32(gw), Shape::from((n, k))))
    }
}

/// A weight `w: (n, k)` as the forward product reads it: a thin layer's rows as they are, a
/// wide layer's transpose `wᵀ` (`k × n`, row-major). gemm accumulates in another order when it
/// reads wᵀ through strides, so the row-major copy keeps the sums in the order candle's own
/// matmul uses (16 KiB for a 64-wide layer). Networks that run many forward passes between
/// weight updates keep it ([`crate::FrozenMlp`]).
pub(crate) fn prepare_weight(w: &[f32], n: usize, k: usize) -> Cow<'_, [f32]> {
    if n < THIN {
        Cow::Borrowed(w)
    } else {
        Cow::Owned(transpose(w, n, k))
    }
}

/// `act(x wᵀ + b)` for row-major `x: (rows, k)`, the weight prepared by [`prepare_weight`]
/// and `b: (n,)`: the output starts as the bias rows, the product accumulates into it and the
/// activation is applied in place.
pub(crate) fn forward_values(
    x: &[f32],
    prepared: &[f32],
    b: &[f32],
    act: Option<Activation>,
    (rows, k, n): (usize, usize, usize),
) -> candle_core::Result<Vec<f32>> {
    if x.len() != rows * k || prepared.len() != k * n || b.len() != n {
        bail!("dense: buffer sizes do not match ({rows} x {k}) @ ({n} x {k})ᵀ + ({n})");
    }
    let mut out = Vec::with_capacity(rows * n);
    for _ in 0..rows {
        out.extend_from_slice(b);
    }
    matmul_add_prepared(&mut out, x, prepared, (rows, k, n));
    match act {
        None => {}
        Some(Activation::Tanh) => tanh_in_place(&mut out),
        // `x < 0` rather than `max(x, 0)`, which would turn a NaN into 0 and hide it.
        Some(Activation::Relu) => out.iter_mut().filter(|v| **v < 0.0).for_each(|v| *v = 0.0),
    }
    Ok(out)
}

/// `out += x wᵀ` for row-major `x: (rows, k)`, the weight prepared by [`prepare_weight`] and
/// `out: (rows, n)` (sizes checked by the caller), on one thread (these products are far too
/// small to share).
fn matmul_add_prepared(
    out: &mut [f32],
    x: &[f32],
    prepared: &[f32],
    (rows, k, n): (usize, usize, usize),
) {
    if n < THIN {
        for (o, xr) in out.chunks_exact_mut(n).zip(x.chunks_exact(k)) {
            for (o, wj) in o.iter_mut().zip(prepared.chunks_exact(k)) {
                *o += dot(xr, wj);
            }
        }
        return;
    }
    // SAFETY: each pointer addresses a live slice whose length the caller checked against
    // the strides given (row-major: column stride 1, row stride = row length), `out` is
    // borrowed mutably and does not alias the inputs, and gemm reads and writes nothing
    // outside these bounds.
    unsafe {
        gemm::gemm(
            rows,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            true,
            x.as_ptr(),
            1,
            k as isize,
            prepared.as_ptr(),
            1,
            n as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dense;
    use candle_core::{Device, Var};

    /// Forward values and the gradients of x, w and b under a weighted sum, fused vs generic,
    /// for a layer of 3 inputs and `n` outputs on 5 rows.
    fn both(act: Option<Activation>, n: usize) -> [(Vec<f32>, Vec<f32>); 4] {
        let dev = Device::Cpu;
        let vals = |len: usize, seed: f32| -> Vec<f32> {
            (0..len).map(|i| ((i as f32 + seed) * 1.37).sin()).collect()
        };
        let x = Var::from_vec(vals(15, 0.0), (5, 3), &dev).unwrap();
        let w = Var::from_vec(vals(3 * n, 1.0), (n, 3), &dev).unwrap();
        let b = Var::from_vec(vals(n, 2.0), n, &dev).unwrap();
        let weights = Tensor::from_vec(vals(5 * n, 3.0), (5, n), &dev).unwrap();
        let run = |fused: bool| {
            let (xt, wt, bt) = (x.as_tensor(), w.as_tensor(), b.as_tensor());
            let y = if fused {
                dense_fused(xt, wt, bt, act).unwrap()
            } else {
                dense(xt, wt, bt, act).unwrap()
            };
            let g = (&y * &weights)
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            let flat = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            [
                flat(&y),
                flat(g.get(xt).unwrap()),
                flat(g.get(wt).unwrap()),
                flat(g.get(bt).unwrap()),
            ]
        };
        let (f, r) = (run(true), run(false));
        [0, 1, 2, 3].map(|i| (f[i].clone(), r[i].clone()))
    }

    #[test]
    fn matches_candle_ops_forward_and_backward_for_thin_and_wide_layers() {
        for n in [1, 2, THIN, 19] {
            for act in [None, Some(Activation::Tanh), Some(Activation::Relu)] {
                for (i, (fused, reference)) in both(act, n).iter().enumerate() {
                    assert_eq!(fused.len(), reference.len());
                    for (a, b) in fused.iter().zip(reference) {
                        assert!(
                            (a - b).abs() <= 1e-5,
                            "n {n}, {act:?}, output {i}: {a} vs {b}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_nan_stays_visible_through_every_activation() {
        let dev = Device::Cpu;
        let x = Tensor::new(&[[f32::NAN, 1.0]], &dev).unwrap();
        let w = Tensor::new(&[[1f32, 1.0]], &dev).unwrap();
        let b = Tensor::new(&[0f32], &dev).unwrap();
        for act in [None, Some(Activation::Tanh), Some(Activation::Relu)] {
            let y = dense_fused(&x, &w, &b, act)
                .unwrap()
                .to_vec2::<f32>()
                .unwrap();
            assert!(y[0][0].is_nan(), "{act:?}: {y:?}");
        }
    }

    #[test]
    fn mismatched_shapes_are_errors() {
        let dev = Device::Cpu;
        let x = Tensor::zeros((4, 3), DType::F32, &dev).unwrap();
        let w = Tensor::zeros((5, 2), DType::F32, &dev).unwrap();
        let b = Tensor::zeros(5, DType::F32, &dev).unwrap();
        let err = dense_fused(&x, &w, &b, None).unwrap_err().to_string();
        assert!(err.contains("do not fit"), "{err}");
    }

    #[test]
    fn the_weight_gradient_is_candles_product_bit_for_bit() {
        let mut seed = 7u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        for (rows, k, n) in [
            (1, 4, 8),
            (7, 64, 64),
            (64, 4, 64),
            (256, 64, 64),
            (33, 65, 9),
        ] {
            let x: Vec<f32> = (0..rows * k).map(|_| next()).collect();
            let g: Vec<f32> = (0..rows * n).map(|_| next()).collect();
            let x = Tensor::from_vec(x, (rows, k), &Device::Cpu).unwrap();
            let g = Tensor::from_vec(g, (rows, n), &Device::Cpu).unwrap();
            let ours = x.apply_op2_no_bwd(&g, &WeightGrad).unwrap();
            let candle = x.t().unwrap().matmul(&g).unwrap().t().unwrap();
            let bits = |t: &Tensor| -> Vec<u32> {
                t.contiguous()
                    .unwrap()
                    .flatten_all()
                    .unwrap()
                    .to_vec1::<f32>()
                    .unwrap()
                    .into_iter()
                    .map(f32::to_bits)
                    .collect()
            };
            assert_eq!(bits(&ours), bits(&candle), "{rows} x {k} -> {n}");
        }
    }
}
