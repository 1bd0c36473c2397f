//! Time-series features for meta-learning (FFORMA's 42 features, Montero-Manso et al. 2020),
//! computed as the Python `tsfeatures` package computes them with its defaults, so models
//! trained on either transfer: each series is standardised (mean 0, sample sd 1) before
//! every feature. The fixture test (`tests/features_fixture.rs`) checks every feature
//! against that package on M4 Hourly and Weekly series.
//!
//! Features that do not apply (the seasonal ones when `freq = 1`) are NaN.

mod autocorr;
mod decomposition;
mod heterogeneity;
mod smoothing;
mod stats;
mod stl;
mod supsmu;

pub use autocorr::{acf, diff, pacf};
pub use decomposition::{decomposition_features, DecompositionFeatures};
pub use heterogeneity::{heterogeneity, Heterogeneity};
pub use smoothing::{holt_parameters, hw_parameters};
pub use stats::{
    arch_lm, crossing_points, flat_spots, hurst, lumpiness_stability, nonlinearity,
    spectral_entropy, unitroot_pp,
};
pub use stl::{Decomposition, StlConfig};
pub use supsmu::super_smoother;

use crate::forecast::kpss_statistic;
use crate::{Error, Result};
use autocorr::sum_sq;
use rayon::prelude::*;
use stats::unitroot_lags;

/// The feature names, in the order of [`Features::values`] (the fixture's order).
pub const FEATURE_NAMES: [&str; 42] = [
    "x_acf1",
    "x_acf10",
    "diff1_acf1",
    "diff1_acf10",
    "diff2_acf1",
    "diff2_acf10",
    "seas_acf1",
    "x_pacf5",
    "diff1x_pacf5",
    "diff2x_pacf5",
    "seas_pacf",
    "arch_lm",
    "crossing_points",
    "entropy",
    "flat_spots",
    "arch_acf",
    "garch_acf",
    "arch_r2",
    "garch_r2",
    "alpha",
    "beta",
    "hurst",
    "hw_alpha",
    "hw_beta",
    "hw_gamma",
    "lumpiness",
    "stability",
    "nonlinearity",
    "nperiods",
    "seasonal_period",
    "trend",
    "seasonal_strength",
    "spike",
    "linearity",
    "curvature",
    "peak",
    "trough",
    "e_acf1",
    "e_acf10",
    "unitroot_kpss",
    "unitroot_pp",
    "series_length",
];

/// The shortest series [`extract`] accepts: enough for the lag-12 ARCH regression, the
/// heterogeneity AR fit, and two seasonal cycles.
pub fn min_length(freq: usize) -> usize {
    30.max(2 * freq + 2)
}

/// The features of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    /// One value per [`FEATURE_NAMES`] entry; NaN where a feature does not apply.
    pub values: Vec<f64>,
}

impl Features {
    /// The value of a named feature (`None` for an unknown name).
    pub fn get(&self, name: &str) -> Option<f64> {
        FEATURE_NAMES
            .iter()
            .position(|n| *n == name)
            .map(|i| self.values[i])
    }
}

/// Computes the features of `x` observed with seasonal period `freq` (1 = non-seasonal).
/// Errors: a series shorter than [`min_length`], a non-finite value (its index), or a
/// constant series (no scale to standardise by).
pub fn extract(x: &[f64], freq: usize) -> Result<Features> {
    if freq == 0 {
        return Err(Error::InvalidInput("features: period 0".into()));
    }
    let n = x.len();
    if n < min_length(freq) {
        return Err(Error::TooShort {
            model: "features".into(),
            needed: min_length(freq),
            got: n,
        });
    }
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(Error::InvalidInput(format!(
            "features: value {} at index {i} is not finite",
            x[i]
        )));
    }
    let mean = x.iter().sum::<f64>() / n as f64;
    let sd = stats::var(x).sqrt();
    if sd.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return Err(Error::InvalidInput(
            "features: the series is constant".into(),
        ));
    }
    let z: Vec<f64> = x.iter().map(|v| (v - mean) / sd).collect();
    let m = freq;
    let seasonal = m > 1;
    let nan = f64::NAN;
    let opt = |v: Option<f64>| v.unwrap_or(nan);

    let r = acf(&z, m.max(10));
    let d1 = diff(&z, 1);
    let d2 = diff(&z, 2);
    let r1 = acf(&d1, 10);
    let r2 = acf(&d2, 10);
    let p = pacf(&z, m.max(5));
    let p1 = pacf(&d1, 5);
    let p2 = pacf(&d2, 5);
    let het = heterogeneity(&z);
    let (alpha, beta) = holt_parameters(&z);
    let (hw_a, hw_b, hw_g) = if seasonal {
        hw_parameters(&z, m)
    } else {
        (nan, nan, nan)
    };
    let (lumpiness, stability) = lumpiness_stability(&z, if seasonal { m } else { 10 });
    let dec = decomposition_features(&z, m)?;
    let values = vec![
        r[1],
        sum_sq(&r, 10),
        r1[1],
        sum_sq(&r1, 10),
        r2[1],
        sum_sq(&r2, 10),
        if seasonal { r[m] } else { nan },
        sum_sq(&p, 5),
        sum_sq(&p1, 5),
        sum_sq(&p2, 5),
        if seasonal { p[m] } else { nan },
        arch_lm(&z),
        crossing_points(&z) as f64,
        spectral_entropy(&z),
        flat_spots(&z) as f64,
        het.arch_acf,
        het.garch_acf,
        het.arch_r2,
        het.garch_r2,
        alpha,
        beta,
        hurst(&z),
        hw_a,
        hw_b,
        hw_g,
        lumpiness,
        stability,
        nonlinearity(&z),
        f64::from(u8::from(seasonal)),
        m as f64,
        dec.trend,
        opt(dec.seasonal_strength),
        dec.spike,
        dec.linearity,
        dec.curvature,
        opt(dec.peak.map(|v| v as f64)),
        opt(dec.trough.map(|v| v as f64)),
        dec.e_acf1,
        dec.e_acf10,
        kpss_statistic(&z, unitroot_lags(n)),
        unitroot_pp(&z),
        n as f64,
    ];
    Ok(Features { values })
}

/// [`extract`] over many series in parallel; an error names the series' index.
pub fn extract_all(series: &[&[f64]], freq: usize) -> Result<Vec<Features>> {
    series
        .par_iter()
        .with_max_len(1)
        .enumerate()
        .map(|(i, x)| extract(x, freq).map_err(|e| Error::InvalidInput(format!("series {i}: {e}"))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bad_series_are_clear_errors() {
        let short = vec![1.0; 20];
        assert!(matches!(extract(&short, 1), Err(Error::TooShort { .. })));
        let mut x: Vec<f64> = (0..100).map(|t| (t as f64).sin()).collect();
        x[17] = f64::NAN;
        assert!(extract(&x, 1).unwrap_err().to_string().contains("index 17"));
        assert!(extract(&[3.0; 100], 1)
            .unwrap_err()
            .to_string()
            .contains("constant"));
        assert!(extract(&x, 0).is_err());
        let many = [&x[..], &[1.0; 5][..]];
        assert!(extract_all(&many, 1)
            .unwrap_err()
            .to_string()
            .contains("series 0"));
    }

    #[test]
    fn seasonal_features_are_nan_without_a_period() {
        let x: Vec<f64> = (0..120)
            .map(|t| (t as f64 * 0.5).sin() + 0.01 * t as f64)
            .collect();
        let f = extract(&x, 1).unwrap();
        for name in [
            "seas_acf1",
            "seas_pacf",
            "seasonal_strength",
            "peak",
            "hw_alpha",
        ] {
            assert!(f.get(name).unwrap().is_nan(), "{name}");
        }
        assert_eq!(f.get("series_length"), Some(120.0));
        let g = extract(&x, 12).unwrap();
        assert!(g.get("seasonal_strength").unwrap().is_finite());
        assert_eq!(g.get("nperiods"), Some(1.0));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn any_finite_series_gives_features_or_an_error(
            x in proptest::collection::vec(-1e6f64..1e6, 30..200),
            freq in 1usize..8,
        ) {
            if let Ok(f) = extract(&x, freq) {
                prop_assert_eq!(f.values.len(), FEATURE_NAMES.len());
                prop_assert_eq!(f.get("series_length"), Some(x.len() as f64));
            }
        }
    }
}
