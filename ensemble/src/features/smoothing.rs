//! Smoothing parameters of Holt's linear trend and additive Holt–Winters models fitted by
//! least squares (statsmodels' `ExponentialSmoothing(...).fit()` defaults: SSE, estimated
//! initial states, no damping). The parameters are in statsmodels' component form, so
//! `beta` is Hyndman's β* (the trend update `b = β*(l − l₋₁) + (1 − β*) b₋₁`).

use crate::forecast::profiled_sse;
use crate::optim::NelderMead;
use metablend_core::math::solve_dense;

/// (alpha, beta) of Holt's method with statsmodels' constraint β* ≤ α; NaN when the series
/// is too short. The initial level and trend are solved exactly for each (α, β*).
pub fn holt_parameters(x: &[f64]) -> (f64, f64) {
    if x.len() < 4 {
        return (f64::NAN, f64::NAN);
    }
    // Search over (α, β*/α) in the unit box, from a small grid like statsmodels' brute start.
    let sse = |p: &[f64]| profiled_sse(x, p[0], p[0] * p[1], 1.0, true).0;
    let start = grid_start(&sse, 2);
    let nm = NelderMead {
        step: vec![0.1; 2],
        bounds: vec![(0.0, 1.0); 2],
        ftol: 1e-12,
        max_evals: 800,
    };
    let best = nm.minimize(sse, &start);
    (best.x[0], best.x[0] * best.x[1])
}

/// The best point of a coarse grid over the unit box (5 levels per coordinate).
fn grid_start(f: &impl Fn(&[f64]) -> f64, dims: usize) -> Vec<f64> {
    const LEVELS: [f64; 5] = [0.02, 0.25, 0.5, 0.75, 0.98];
    let mut best = (f64::INFINITY, vec![0.5; dims]);
    let mut idx = vec![0usize; dims];
    loop {
        let p: Vec<f64> = idx.iter().map(|&i| LEVELS[i]).collect();
        let v = f(&p);
        if v < best.0 {
            best = (v, p);
        }
        let mut d = 0;
        while d < dims {
            idx[d] += 1;
            if idx[d] < LEVELS.len() {
                break;
            }
            idx[d] = 0;
            d += 1;
        }
        if d == dims {
            return best.1;
        }
    }
}

/// (alpha, beta, gamma) of additive Holt–Winters with period `m` ≥ 2. The initial level,
/// trend and seasonal states are solved exactly by least squares for given parameters;
/// the parameters and states are improved alternately (each round lowers the SSE), which
/// reaches the joint least-squares fit at a fraction of the cost of profiling every
/// evaluation.
pub fn hw_parameters(x: &[f64], m: usize) -> (f64, f64, f64) {
    if m < 2 || x.len() < 2 * m + 2 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    // statsmodels' constraints β* ≤ α and γ ≤ 1 − α, searched as fractions in the unit box.
    let natural = |u: &[f64]| [u[0], u[0] * u[1], (1.0 - u[0]) * u[2]];
    let mut states = heuristic_states(x, m);
    let mut u = grid_start(&|u: &[f64]| hw_sse(x, m, &natural(u), &states), 3);
    let nm = NelderMead {
        step: vec![0.1; 3],
        bounds: vec![(0.0, 1.0); 3],
        ftol: 1e-10,
        max_evals: 600,
    };
    let mut last = f64::INFINITY;
    for _ in 0..4 {
        if let Some(s) = best_states(x, m, &natural(&u)) {
            states = s;
        }
        let best = nm.minimize(|u| hw_sse(x, m, &natural(u), &states), &u);
        u = best.x;
        if last - best.value <= 1e-9 * best.value.abs() {
            break;
        }
        last = best.value;
    }
    let p = natural(&u);
    (p[0], p[1], p[2])
}

/// The classical start: level and trend from the first two cycles, seasonal deviations
/// from the first cycle's mean. Layout: [l0, b0, s_{1−m}, …, s_0].
fn heuristic_states(x: &[f64], m: usize) -> Vec<f64> {
    let c1: f64 = x[..m].iter().sum::<f64>() / m as f64;
    let c2: f64 = x[m..2 * m].iter().sum::<f64>() / m as f64;
    let mut s = vec![c1, (c2 - c1) / m as f64];
    s.extend(x[..m].iter().map(|v| v - c1));
    s
}

fn hw_sse(y: &[f64], m: usize, p: &[f64], states: &[f64]) -> f64 {
    let mut sse = 0.0;
    run(y, m, p, states, |_, e| sse += e * e);
    sse
}

/// One pass of the recursion from `states` (layout as in [`heuristic_states`]); calls
/// `each(t, error)` per step. With `y` all zeros it propagates a unit initial state.
fn run(y: &[f64], m: usize, p: &[f64], states: &[f64], mut each: impl FnMut(usize, f64)) {
    let (alpha, beta, gamma) = (p[0], p[1], p[2]);
    let (mut l, mut b) = (states[0], states[1]);
    let mut season = states[2..].to_vec();
    // The season's slot, t mod m, kept by a counter: a division per step costs more than
    // the step's arithmetic.
    let mut slot = 0;
    for (t, &yt) in y.iter().enumerate() {
        let s_old = season[slot];
        let lb = l + b;
        each(t, yt - (lb + s_old));
        let l_new = alpha * (yt - s_old) + (1.0 - alpha) * lb;
        b = beta * (l_new - l) + (1.0 - beta) * b;
        season[slot] = gamma * (yt - lb) + (1.0 - gamma) * s_old;
        l = l_new;
        slot = if slot + 1 == m { 0 } else { slot + 1 };
    }
}

/// Least-squares initial states for fixed parameters: the one-step errors are affine in
/// the states, `e = a − Z s`, so the states solve `ZᵀZ s = Zᵀa` (one seasonal state is
/// pinned by the level's redundancy through a tiny ridge).
fn best_states(y: &[f64], m: usize, p: &[f64]) -> Option<Vec<f64>> {
    let d = m + 2;
    let n = y.len();
    let zero = vec![0.0; d];
    let mut a = vec![0.0; n];
    run(y, m, p, &zero, |t, e| a[t] = e);
    let zeros = vec![0.0; n];
    let mut z = vec![0.0; n * d];
    for j in 0..d {
        let mut unit = vec![0.0; d];
        unit[j] = 1.0;
        run(&zeros, m, p, &unit, |t, e| z[t * d + j] = -e);
    }
    let mut ztz = vec![0.0; d * d];
    let mut zta = vec![0.0; d];
    for t in 0..n {
        let row = &z[t * d..(t + 1) * d];
        for i in 0..d {
            zta[i] += row[i] * a[t];
            for j in i..d {
                ztz[i * d + j] += row[i] * row[j];
            }
        }
    }
    let scale = (0..d).map(|i| ztz[i * d + i]).fold(0.0, f64::max);
    for i in 0..d {
        ztz[i * d + i] += 1e-10 * scale;
        for j in 0..i {
            ztz[i * d + j] = ztz[j * d + i];
        }
    }
    solve_dense(&mut ztz, &mut zta)?;
    Some(zta)
}
