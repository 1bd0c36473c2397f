//! Small derivative-free and quasi-Newton minimisers for fitting the statistical models.
//!
//! The fits need R `optim`-like behaviour on 1–7 parameters with objectives that cost a few
//! microseconds, so the per-iteration overhead of a general optimisation framework would
//! dominate; these are the textbook algorithms (Nelder & Mead 1965 with box projection;
//! BFGS with central-difference gradients and backtracking, as R's `vmmin`; Brent's
//! golden-section/parabolic search).

/// The result of a minimisation.
#[derive(Debug, Clone)]
pub struct Minimum {
    /// The best point found.
    pub x: Vec<f64>,
    /// The objective there.
    pub value: f64,
    /// Objective evaluations used.
    pub evaluations: usize,
    /// Whether the tolerance was met before the evaluation budget ran out.
    pub converged: bool,
}

/// Nelder–Mead settings.
#[derive(Debug, Clone)]
pub struct NelderMead {
    /// Initial simplex edge per coordinate.
    pub step: Vec<f64>,
    /// Lower and upper bounds per coordinate (points are projected into the box).
    pub bounds: Vec<(f64, f64)>,
    /// Stop when the simplex's objective range falls below `ftol·(|f_best| + ftol)`.
    pub ftol: f64,
    /// Evaluation budget.
    pub max_evals: usize,
}

impl NelderMead {
    /// Minimises `f` from `x0`; non-finite objective values count as +∞.
    pub fn minimize(&self, mut f: impl FnMut(&[f64]) -> f64, x0: &[f64]) -> Minimum {
        let n = x0.len();
        let clamp = |x: &mut [f64]| {
            for (v, &(lo, hi)) in x.iter_mut().zip(&self.bounds) {
                *v = v.clamp(lo, hi);
            }
        };
        let mut evals = 0;
        let mut eval = |x: &[f64], evals: &mut usize| {
            *evals += 1;
            let v = f(x);
            if v.is_finite() {
                v
            } else {
                f64::INFINITY
            }
        };
        let mut simplex: Vec<Vec<f64>> = Vec::with_capacity(n + 1);
        let mut start = x0.to_vec();
        clamp(&mut start);
        simplex.push(start.clone());
        for i in 0..n {
            let mut p = start.clone();
            p[i] += self.step[i];
            clamp(&mut p);
            if p[i] == start[i] {
                p[i] -= self.step[i];
                clamp(&mut p);
            }
            simplex.push(p);
        }
        let mut values: Vec<f64> = simplex.iter().map(|p| eval(p, &mut evals)).collect();
        let mut converged = false;
        while evals < self.max_evals {
            let mut order: Vec<usize> = (0..=n).collect();
            order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
            simplex = order.iter().map(|&i| simplex[i].clone()).collect();
            values = order.iter().map(|&i| values[i]).collect();
            let (best, worst) = (values[0], values[n]);
            if (worst - best).abs() <= self.ftol * (best.abs() + self.ftol) {
                converged = true;
                break;
            }
            let centroid: Vec<f64> = (0..n)
                .map(|j| simplex[..n].iter().map(|p| p[j]).sum::<f64>() / n as f64)
                .collect();
            let along = |t: f64| -> Vec<f64> {
                let mut p: Vec<f64> = (0..n)
                    .map(|j| centroid[j] + t * (simplex[n][j] - centroid[j]))
                    .collect();
                clamp(&mut p);
                p
            };
            let reflected = along(-1.0);
            let fr = eval(&reflected, &mut evals);
            if fr < best {
                let expanded = along(-2.0);
                let fe = eval(&expanded, &mut evals);
                if fe < fr {
                    (simplex[n], values[n]) = (expanded, fe);
                } else {
                    (simplex[n], values[n]) = (reflected, fr);
                }
            } else if fr < values[n - 1] {
                (simplex[n], values[n]) = (reflected, fr);
            } else {
                let contracted = if fr < worst { along(-0.5) } else { along(0.5) };
                let fc = eval(&contracted, &mut evals);
                if fc < worst.min(fr) {
                    (simplex[n], values[n]) = (contracted, fc);
                } else {
                    for i in 1..=n {
                        let p: Vec<f64> = (0..n)
                            .map(|j| simplex[0][j] + 0.5 * (simplex[i][j] - simplex[0][j]))
                            .collect();
                        values[i] = eval(&p, &mut evals);
                        simplex[i] = p;
                    }
                }
            }
        }
        let best = (0..=n)
            .min_by(|&a, &b| values[a].total_cmp(&values[b]))
            .unwrap_or(0);
        Minimum {
            x: simplex[best].clone(),
            value: values[best],
            evaluations: evals,
            converged,
        }
    }
}

/// BFGS settings (defaults as R's `optim(method = "BFGS")`, with a tighter tolerance).
#[derive(Debug, Clone)]
pub struct Bfgs {
    /// Stop when an iteration improves the objective by less than `reltol·(|f| + reltol)`.
    pub reltol: f64,
    /// Iteration budget.
    pub max_iter: usize,
    /// Finite-difference step per coordinate.
    pub grad_step: f64,
    /// Central differences (2n evaluations per gradient) or forward ones (n + 1).
    pub central: bool,
}

impl Default for Bfgs {
    fn default() -> Self {
        Self {
            reltol: 1e-9,
            max_iter: 200,
            grad_step: 1e-5,
            central: true,
        }
    }
}

impl Bfgs {
    /// Minimises `f` from `x0` with numerical gradients; non-finite values count as +∞.
    pub fn minimize(&self, f: impl FnMut(&[f64]) -> f64, x0: &[f64]) -> Minimum {
        let n = x0.len();
        let mut obj = Counted { f, evals: 0 };
        let mut x = x0.to_vec();
        let mut fx = obj.eval(&x);
        if n == 0 || !fx.is_finite() {
            return Minimum {
                x,
                value: fx,
                evaluations: obj.evals,
                converged: n == 0,
            };
        }
        let (h, central) = (self.grad_step, self.central);
        let Some(mut g) = obj.grad(&x, fx, h, central) else {
            return Minimum {
                x,
                value: fx,
                evaluations: obj.evals,
                converged: false,
            };
        };
        let identity = |n: usize| {
            let mut b = vec![0.0; n * n];
            (0..n).for_each(|i| b[i * n + i] = 1.0);
            b
        };
        let mut b = identity(n);
        let mut converged = false;
        let mut just_reset = true;
        for _ in 0..self.max_iter {
            let dir: Vec<f64> = (0..n)
                .map(|i| -(0..n).map(|j| b[i * n + j] * g[j]).sum::<f64>())
                .collect();
            let slope: f64 = dir.iter().zip(&g).map(|(d, g)| d * g).sum();
            if slope >= 0.0 {
                if just_reset {
                    converged = true;
                    break;
                }
                b = identity(n);
                just_reset = true;
                continue;
            }
            let mut step = 1.0;
            let mut accepted = None;
            for _ in 0..30 {
                let trial: Vec<f64> = x.iter().zip(&dir).map(|(x, d)| x + step * d).collect();
                if trial.iter().zip(&x).all(|(a, b)| a == b) {
                    break;
                }
                let ft = obj.eval(&trial);
                if ft <= fx + 1e-4 * step * slope {
                    accepted = Some((trial, ft));
                    break;
                }
                step *= 0.2;
            }
            let Some((x_new, f_new)) = accepted else {
                if just_reset {
                    converged = true;
                    break;
                }
                b = identity(n);
                just_reset = true;
                continue;
            };
            let Some(g_new) = obj.grad(&x_new, f_new, h, central) else {
                x = x_new;
                fx = f_new;
                break;
            };
            let improvement = fx - f_new;
            let was_reset = just_reset;
            let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
            let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
            x = x_new;
            fx = f_new;
            g = g_new;
            just_reset = false;
            if improvement <= self.reltol * (fx.abs() + self.reltol) {
                converged = true;
                break;
            }
            let sy: f64 = s.iter().zip(&y).map(|(a, b)| a * b).sum();
            if sy > 0.0 && was_reset {
                // Shanno–Phua scaling of the first inverse-Hessian guess: far fewer
                // iterations when the objective is not unit-scaled.
                let yy: f64 = y.iter().map(|v| v * v).sum();
                b.iter_mut().for_each(|v| *v *= sy / yy);
            }
            if sy > 0.0 {
                let by: Vec<f64> = (0..n)
                    .map(|i| (0..n).map(|j| b[i * n + j] * y[j]).sum())
                    .collect();
                let yby: f64 = y.iter().zip(&by).map(|(a, b)| a * b).sum();
                let c = (1.0 + yby / sy) / sy;
                for i in 0..n {
                    for j in 0..n {
                        b[i * n + j] += c * s[i] * s[j] - (by[i] * s[j] + s[i] * by[j]) / sy;
                    }
                }
            }
        }
        Minimum {
            x,
            value: fx,
            evaluations: obj.evals,
            converged,
        }
    }
}

/// An objective that counts its evaluations and maps non-finite values to +∞.
struct Counted<F> {
    f: F,
    evals: usize,
}

impl<F: FnMut(&[f64]) -> f64> Counted<F> {
    fn eval(&mut self, x: &[f64]) -> f64 {
        self.evals += 1;
        let v = (self.f)(x);
        if v.is_finite() {
            v
        } else {
            f64::INFINITY
        }
    }

    /// Finite-difference gradient at `x` (where the objective is `fx`); `None` if any
    /// component is not finite.
    fn grad(&mut self, x: &[f64], fx: f64, h: f64, central: bool) -> Option<Vec<f64>> {
        let mut p = x.to_vec();
        let mut g = vec![0.0; x.len()];
        for i in 0..x.len() {
            p[i] = x[i] + h;
            let up = self.eval(&p);
            g[i] = if central {
                p[i] = x[i] - h;
                (up - self.eval(&p)) / (2.0 * h)
            } else {
                (up - fx) / h
            };
            p[i] = x[i];
            if !g[i].is_finite() {
                return None;
            }
        }
        Some(g)
    }
}

/// Brent's minimisation of a function of one variable on `[lo, hi]` (golden section with
/// parabolic steps), to absolute tolerance `tol` in x.
pub fn brent(mut f: impl FnMut(f64) -> f64, lo: f64, hi: f64, tol: f64) -> Minimum {
    const GOLD: f64 = 0.381_966_011_250_105_1;
    let (mut a, mut b) = (lo, hi);
    let mut x = a + GOLD * (b - a);
    let (mut w, mut v) = (x, x);
    let mut eval = |x: f64| {
        let y = f(x);
        if y.is_finite() {
            y
        } else {
            f64::INFINITY
        }
    };
    let mut fx = eval(x);
    let (mut fw, mut fv) = (fx, fx);
    let mut evals = 1;
    let (mut d, mut e) = (0.0f64, 0.0f64);
    let mut converged = false;
    for _ in 0..200 {
        let m = 0.5 * (a + b);
        let tol1 = 1e-10 * x.abs() + tol / 3.0;
        let tol2 = 2.0 * tol1;
        if (x - m).abs() <= tol2 - 0.5 * (b - a) {
            converged = true;
            break;
        }
        let mut golden = true;
        if e.abs() > tol1 {
            let r = (x - w) * (fx - fv);
            let mut q = (x - v) * (fx - fw);
            let mut p = (x - v) * q - (x - w) * r;
            q = 2.0 * (q - r);
            if q > 0.0 {
                p = -p;
            }
            q = q.abs();
            if p.abs() < (0.5 * q * e).abs() && p > q * (a - x) && p < q * (b - x) {
                e = d;
                d = p / q;
                let u = x + d;
                if u - a < tol2 || b - u < tol2 {
                    d = if x < m { tol1 } else { -tol1 };
                }
                golden = false;
            }
        }
        if golden {
            e = if x < m { b - x } else { a - x };
            d = GOLD * e;
        }
        let u = if d.abs() >= tol1 {
            x + d
        } else if d > 0.0 {
            x + tol1
        } else {
            x - tol1
        };
        let fu = eval(u);
        evals += 1;
        if fu <= fx {
            if u < x {
                b = x;
            } else {
                a = x;
            }
            (v, fv, w, fw, x, fx) = (w, fw, x, fx, u, fu);
        } else {
            if u < x {
                a = u;
            } else {
                b = u;
            }
            if fu <= fw || w == x {
                (v, fv, w, fw) = (w, fw, u, fu);
            } else if fu <= fv || v == x || v == w {
                (v, fv) = (u, fu);
            }
        }
    }
    // The bounds themselves are candidates: optima on the boundary are common (alpha = 1).
    for end in [lo, hi] {
        let fe = eval(end);
        evals += 1;
        if fe < fx {
            (x, fx) = (end, fe);
        }
    }
    Minimum {
        x: vec![x],
        value: fx,
        evaluations: evals,
        converged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rosenbrock(x: &[f64]) -> f64 {
        (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2)
    }

    #[test]
    fn bfgs_finds_rosenbrock_minimum() {
        let m = Bfgs::default().minimize(rosenbrock, &[-1.2, 1.0]);
        assert!(
            (m.x[0] - 1.0).abs() < 1e-4 && (m.x[1] - 1.0).abs() < 1e-4,
            "{m:?}"
        );
    }

    #[test]
    fn nelder_mead_respects_bounds() {
        let nm = NelderMead {
            step: vec![0.1, 0.1],
            bounds: vec![(0.0, 0.5), (0.0, 2.0)],
            ftol: 1e-12,
            max_evals: 2000,
        };
        let m = nm.minimize(rosenbrock, &[0.2, 0.2]);
        // Constrained optimum: x0 = 0.5 (bound), x1 = 0.25.
        assert!(
            (m.x[0] - 0.5).abs() < 1e-6 && (m.x[1] - 0.25).abs() < 1e-3,
            "{m:?}"
        );
    }

    #[test]
    fn brent_interior_and_boundary() {
        let m = brent(|x| (x - 0.3).powi(2), 0.0, 1.0, 1e-9);
        assert!((m.x[0] - 0.3).abs() < 1e-7);
        let m = brent(|x| -x, 0.0, 1.0, 1e-9);
        assert_eq!(m.x[0], 1.0);
    }
}
