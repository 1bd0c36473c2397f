//! Initialisers: PyTorch's default for linear layers (uniform in ±1/√fan-in) and orthogonal
//! initialisation (Saxe et al. 2014), as `torch.nn.init.orthogonal_` does it. Weights come out
//! in the `[out, in]` layout of [`crate::Dense`], row-major.

use rand::Rng;
use rand_distr::StandardNormal;

/// `n` values uniform in `±bound`.
pub fn uniform<R: Rng + ?Sized>(rng: &mut R, n: usize, bound: f64) -> Vec<f32> {
    (0..n)
        .map(|_| rng.random_range(-bound..bound) as f32)
        .collect()
}

/// A `[fan_out, fan_in]` weight uniform in `±bound`, drawn input-major (all of input 0's
/// outgoing weights first). The draw order is part of every seeded fit: changing it would
/// change every network's start.
pub fn uniform_weight<R: Rng + ?Sized>(
    rng: &mut R,
    fan_in: usize,
    fan_out: usize,
    bound: f64,
) -> Vec<f32> {
    let drawn = uniform(rng, fan_in * fan_out, bound);
    let mut w = vec![0.0f32; fan_in * fan_out];
    for (k, v) in drawn.into_iter().enumerate() {
        let (input, output) = (k / fan_out, k % fan_out);
        w[output * fan_in + input] = v;
    }
    w
}

/// PyTorch's default bound for a linear layer: `1/√fan_in`.
pub fn default_bound(fan_in: usize) -> f64 {
    1.0 / (fan_in as f64).sqrt()
}

/// A `rows x cols` matrix (row-major) with orthonormal rows or columns (whichever are fewer),
/// scaled by `gain`: draw a Gaussian matrix, orthonormalise it (QR by modified Gram–Schmidt,
/// signs fixed so the decomposition is unique), as PyTorch does.
pub fn orthogonal<R: Rng + ?Sized>(rows: usize, cols: usize, gain: f64, rng: &mut R) -> Vec<f32> {
    // Work on the tall orientation: n >= m columns of length n.
    let (n, m) = if rows >= cols {
        (rows, cols)
    } else {
        (cols, rows)
    };
    let mut q: Vec<Vec<f64>> = (0..m)
        .map(|_| (0..n).map(|_| rng.sample(StandardNormal)).collect())
        .collect();
    for j in 0..m {
        for i in 0..j {
            let (done, rest) = q.split_at_mut(j);
            let (qi, qj) = (&done[i], &mut rest[0]);
            let dot: f64 = qj.iter().zip(qi).map(|(a, b)| a * b).sum();
            for (a, b) in qj.iter_mut().zip(qi) {
                *a -= dot * b;
            }
        }
        let norm = q[j].iter().map(|x| x * x).sum::<f64>().sqrt();
        // Dividing by the positive norm is the sign convention `q *= sign(diag(r))`.
        for x in q[j].iter_mut() {
            *x /= norm;
        }
    }
    let mut out = vec![0.0f32; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            let v = if rows >= cols { q[c][r] } else { q[r][c] };
            out[r * cols + c] = (gain * v) as f32;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn uniform_weights_are_drawn_input_major_into_the_out_in_layout() {
        let mut a = rand::rngs::StdRng::seed_from_u64(3);
        let mut b = rand::rngs::StdRng::seed_from_u64(3);
        let w = uniform_weight(&mut a, 2, 3, 0.5);
        let flat = uniform(&mut b, 6, 0.5);
        // Drawn as (input 0: outputs 0, 1, 2), (input 1: outputs 0, 1, 2).
        assert_eq!(
            w,
            vec![flat[0], flat[3], flat[1], flat[4], flat[2], flat[5]]
        );
        assert!(w.iter().all(|v| v.abs() < 0.5));
    }

    #[test]
    fn columns_or_rows_are_orthonormal_times_gain() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0);
        for (rows, cols) in [(64, 4), (4, 64), (64, 64)] {
            let w = orthogonal(rows, cols, 2.0, &mut rng);
            let (outer, inner) = if rows >= cols {
                (cols, rows)
            } else {
                (rows, cols)
            };
            let at = |a: usize, b: usize| {
                if rows >= cols {
                    w[b * cols + a]
                } else {
                    w[a * cols + b]
                }
            };
            for i in 0..outer {
                for j in 0..outer {
                    let dot: f32 = (0..inner).map(|k| at(i, k) * at(j, k)).sum();
                    let want = if i == j { 4.0 } else { 0.0 };
                    assert!((dot - want).abs() < 1e-4, "{rows}x{cols} ({i},{j}): {dot}");
                }
            }
        }
    }
}
