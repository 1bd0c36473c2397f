//! Friedman's (1984) super smoother as the Python `supersmoother` package computes it with
//! its defaults (primary spans 0.05/0.2/0.5 of n, middle span 0.2, final span 0.05, no bass
//! enhancement, unit weights). It gives the trend of non-seasonal series in the STL
//! features, so the window rules follow that package exactly: a span s covers the points
//! `i − ⌊s/2⌋ .. i − ⌊s/2⌋ + s − 1` (clipped to the data), with s = ⌊max(span·n, 3)⌋.

const PRIMARY: [f64; 3] = [0.05, 0.2, 0.5];
const MIDDLE: f64 = 0.2;
const FINAL: f64 = 0.05;

/// The smoothed values of `y` observed at sorted, distinct times `t`.
pub fn super_smoother(t: &[f64], y: &[f64]) -> Vec<f64> {
    let n = t.len();
    let primary: Vec<Vec<f64>> = PRIMARY
        .iter()
        .map(|&s| linear_smooth(t, y, s, true))
        .collect();
    let smoothed_resid: Vec<Vec<f64>> = primary
        .iter()
        .map(|p| {
            let r: Vec<f64> = p.iter().zip(y).map(|(a, b)| (a - b).abs()).collect();
            linear_smooth(t, &r, MIDDLE, false)
        })
        .collect();
    let best: Vec<f64> = (0..n)
        .map(|i| {
            let mut k = 0;
            for j in 1..PRIMARY.len() {
                if smoothed_resid[j][i] < smoothed_resid[k][i] {
                    k = j;
                }
            }
            PRIMARY[k]
        })
        .collect();
    let spans = linear_smooth(t, &best, MIDDLE, false);
    let raw: Vec<f64> = (0..n)
        .map(|i| {
            let q = spans[i].clamp(PRIMARY[0], PRIMARY[2]);
            let (p0, p1, p2) = (primary[0][i], primary[1][i], primary[2][i]);
            if q < PRIMARY[1] {
                p0 + (q - PRIMARY[0]) * (p1 - p0) / (PRIMARY[1] - PRIMARY[0])
            } else {
                p1 + (q - PRIMARY[1]) * (p2 - p1) / (PRIMARY[2] - PRIMARY[1])
            }
        })
        .collect();
    linear_smooth(t, &raw, FINAL, false)
}

/// Local linear fit at each point over a window of `span·n` points; `cv` leaves the point
/// itself out (the cross-validated smooth).
fn linear_smooth(t: &[f64], y: &[f64], span: f64, cv: bool) -> Vec<f64> {
    let n = t.len();
    let s = (span * n as f64).max(3.0) as usize;
    // Prefix sums of 1, y, t, t·y, t².
    let mut pre = vec![[0.0f64; 5]; n + 1];
    for i in 0..n {
        let (ti, yi) = (t[i], y[i]);
        let row = [1.0, yi, ti, ti * yi, ti * ti];
        for k in 0..5 {
            pre[i + 1][k] = pre[i][k] + row[k];
        }
    }
    (0..n)
        .map(|i| {
            let lo = i.saturating_sub(s / 2);
            let hi = (i + s - s / 2).min(n);
            let mut sums = [0.0; 5];
            for k in 0..5 {
                sums[k] = pre[hi][k] - pre[lo][k];
            }
            if cv {
                let (ti, yi) = (t[i], y[i]);
                for (v, own) in sums.iter_mut().zip([1.0, yi, ti, ti * yi, ti * ti]) {
                    *v -= own;
                }
            }
            let [w, yw, tw, tyw, ttw] = sums;
            let den = w * ttw - tw * tw;
            let slope = tyw * w - tw * yw;
            let intercept = ttw * yw - tyw * tw;
            (slope * t[i] + intercept) / den
        })
        .collect()
}
