//! Models named in configuration files and on the command line, e.g.
//! `naive`, `snaive:24`, `drift`, `ses`, `holt`, `damped`, `theta:12`, `arima:1,1,1`,
//! `arima:2,0,1,c`, `auto_arima`, `mlp`, `lstm`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{
    Arima, ArimaConfig, AutoArima, AutoArimaConfig, Drift, Ets, Forecaster, LstmConfig,
    LstmForecaster, MlpConfig, MlpForecaster, Naive, Naive2, SeasonalNaive, SeasonallyAdjusted,
    Theta, Trend,
};
use crate::{Error, Result};

/// A base model and its settings; [`ModelSpec::build`] makes an unfitted forecaster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ModelSpec {
    /// Last value.
    Naive,
    /// M4's Naive2: naive on the seasonally adjusted series.
    Naive2 {
        /// Seasonal period.
        m: usize,
    },
    /// Value one season earlier.
    SeasonalNaive {
        /// Seasonal period.
        m: usize,
    },
    /// Random walk with drift.
    Drift,
    /// Simple exponential smoothing.
    Ses,
    /// Holt's linear trend.
    Holt,
    /// Damped Holt.
    Damped,
    /// The standard Theta method.
    Theta {
        /// Seasonal period (1: none).
        m: usize,
    },
    /// ARIMA with fixed orders.
    Arima(ArimaConfig),
    /// ARIMA with orders chosen by AICc.
    AutoArima(AutoArimaConfig),
    /// MLP on lag windows.
    Mlp(MlpConfig),
    /// LSTM on windows.
    Lstm(LstmConfig),
    /// Another model on the M4-style seasonally adjusted series (`ses:24`, `holt:24`,
    /// `damped:24`, `auto_arima:24`).
    Adjusted {
        /// Seasonal period (≥ 2).
        m: usize,
        /// The model applied to the adjusted series.
        model: Box<ModelSpec>,
    },
}

impl ModelSpec {
    /// A new, unfitted forecaster.
    pub fn build(&self) -> Result<Box<dyn Forecaster>> {
        Ok(match self {
            Self::Naive => Box::new(Naive::new()),
            Self::SeasonalNaive { m } => Box::new(SeasonalNaive::new(*m)?),
            Self::Naive2 { m } => Box::new(Naive2::new(*m)?),
            Self::Drift => Box::new(Drift::new()),
            Self::Ses => Box::new(Ets::new(Trend::None)),
            Self::Holt => Box::new(Ets::new(Trend::Additive)),
            Self::Damped => Box::new(Ets::new(Trend::Damped)),
            Self::Theta { m } => Box::new(Theta::new(*m)?),
            Self::Arima(c) => Box::new(Arima::new(*c)?),
            Self::AutoArima(c) => Box::new(AutoArima::new(c.clone())?),
            Self::Mlp(c) => Box::new(MlpForecaster::new(c.clone())?),
            Self::Lstm(c) => Box::new(LstmForecaster::new(c.clone())?),
            Self::Adjusted { m, model } => Box::new(SeasonallyAdjusted::new(model.build()?, *m)?),
        })
    }

    /// The default pool for a series with seasonal period `m` (1: non-seasonal): naive,
    /// seasonal naive (m > 1), drift, damped Holt, Theta, auto ARIMA, MLP and LSTM.
    pub fn default_set(m: usize) -> Vec<ModelSpec> {
        let mut set = vec![Self::Naive];
        if m > 1 {
            set.push(Self::SeasonalNaive { m });
        }
        set.extend([
            Self::Drift,
            Self::Damped,
            Self::Theta { m },
            Self::AutoArima(AutoArimaConfig::default()),
            Self::Mlp(MlpConfig::default()),
            Self::Lstm(LstmConfig::default()),
        ]);
        set
    }

    /// Parses a comma-free list separated by `;` or whitespace, or the word `default`.
    pub fn parse_list(text: &str, m: usize) -> Result<Vec<ModelSpec>> {
        if text.trim() == "default" {
            return Ok(Self::default_set(m));
        }
        text.split(|c: char| c == ';' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect()
    }
}

/// The series length above which `auto_arima:approx` ranks candidates by CSS
/// (forecast::auto.arima's rule, `length(x) > 150`).
pub const APPROXIMATE_ABOVE: usize = 150;

impl FromStr for ModelSpec {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let (name, args) = s.trim().split_once(':').unwrap_or((s.trim(), ""));
        // `approx`: auto ARIMA's CSS approximation (see `AutoArimaConfig::approximate_above`).
        let (args, approx) = match name {
            "auto_arima" => {
                let is_approx = |a: &str| a.trim() == "approx";
                let rest: Vec<&str> = args.split(',').filter(|a| !is_approx(a)).collect();
                (rest.join(","), args.split(',').any(is_approx))
            }
            _ => (args.to_string(), false),
        };
        let args = args.as_str();
        let auto_arima = || {
            Self::AutoArima(AutoArimaConfig {
                approximate_above: approx.then_some(APPROXIMATE_ABOVE),
                ..AutoArimaConfig::default()
            })
        };
        let nums = |args: &str| -> Result<Vec<usize>> {
            args.split(',')
                .filter(|a| !a.is_empty() && *a != "c")
                .map(|a| {
                    a.trim().parse::<usize>().map_err(|_| {
                        Error::Config(format!("model `{s}`: `{a}` is not a non-negative integer"))
                    })
                })
                .collect()
        };
        let period = |args: &str, default: Option<usize>| -> Result<usize> {
            match (nums(args)?.as_slice(), default) {
                ([m], _) => Ok(*m),
                ([], Some(d)) => Ok(d),
                _ => Err(Error::Config(format!(
                    "model `{s}`: give the period, e.g. `{name}:24`"
                ))),
            }
        };
        let spec = match name {
            "naive" => Self::Naive,
            "snaive" | "seasonal_naive" => Self::SeasonalNaive {
                m: period(args, None)?,
            },
            "naive2" => Self::Naive2 {
                m: period(args, Some(1))?,
            },
            "drift" => Self::Drift,
            "ses" | "holt" | "damped" | "auto_arima" if !args.is_empty() => {
                let inner: ModelSpec = match name {
                    "auto_arima" => auto_arima(),
                    _ => name.parse()?,
                };
                let m = period(args, None)?;
                if m < 2 {
                    return Err(Error::Config(format!(
                        "model `{s}`: the seasonal-adjustment period must be at least 2"
                    )));
                }
                Self::Adjusted {
                    m,
                    model: Box::new(inner),
                }
            }
            "ses" => Self::Ses,
            "holt" => Self::Holt,
            "damped" => Self::Damped,
            "theta" => Self::Theta {
                m: period(args, Some(1))?,
            },
            "arima" => match nums(args)?.as_slice() {
                [p, d, q] => Self::Arima(ArimaConfig {
                    p: *p,
                    d: *d,
                    q: *q,
                    constant: args.split(',').any(|a| a.trim() == "c"),
                }),
                _ => {
                    return Err(Error::Config(format!(
                        "model `{s}`: give the orders, e.g. `arima:1,1,1` or `arima:2,0,1,c`"
                    )))
                }
            },
            "auto_arima" => auto_arima(),
            "mlp" => Self::Mlp(MlpConfig::default()),
            "lstm" => Self::Lstm(LstmConfig::default()),
            other => {
                return Err(Error::Config(format!(
                    "unknown model `{other}` (known: naive, naive2[:M], snaive:M, drift, ses[:M], holt[:M], \
                     damped[:M], theta[:M], arima:P,D,Q[,c], auto_arima[:M][,approx], mlp, lstm)"
                )))
            }
        };
        if let Self::SeasonalNaive { m: 0 } | Self::Theta { m: 0 } | Self::Naive2 { m: 0 } = spec {
            return Err(Error::Config(format!(
                "model `{s}`: the period must be at least 1"
            )));
        }
        if let Self::Arima(c) = &spec {
            c.validate()?;
        }
        Ok(spec)
    }
}

impl fmt::Display for ModelSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Naive => write!(f, "naive"),
            Self::SeasonalNaive { m } => write!(f, "snaive:{m}"),
            Self::Naive2 { m } => write!(f, "naive2:{m}"),
            Self::Drift => write!(f, "drift"),
            Self::Ses => write!(f, "ses"),
            Self::Holt => write!(f, "holt"),
            Self::Damped => write!(f, "damped"),
            Self::Theta { m } => write!(f, "theta:{m}"),
            Self::Arima(c) => {
                write!(
                    f,
                    "arima:{},{},{}{}",
                    c.p,
                    c.d,
                    c.q,
                    if c.constant { ",c" } else { "" }
                )
            }
            Self::AutoArima(c) if c.approximate_above.is_some() => write!(f, "auto_arima:approx"),
            Self::AutoArima(_) => write!(f, "auto_arima"),
            Self::Mlp(_) => write!(f, "mlp"),
            Self::Lstm(_) => write!(f, "lstm"),
            Self::Adjusted { m, model } => match model.as_ref() {
                Self::AutoArima(c) if c.approximate_above.is_some() => {
                    write!(f, "auto_arima:{m},approx")
                }
                _ => write!(f, "{model}:{m}"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_errors_are_clear() {
        for text in [
            "naive",
            "snaive:24",
            "drift",
            "ses",
            "holt",
            "damped",
            "damped:24",
            "naive2:24",
            "auto_arima:12",
            "theta:12",
            "arima:1,1,1",
            "arima:2,0,1,c",
            "auto_arima",
            "auto_arima:approx",
            "auto_arima:52,approx",
            "mlp",
            "lstm",
        ] {
            let spec: ModelSpec = text.parse().unwrap();
            assert_eq!(spec.to_string(), text);
            assert!(spec.build().is_ok());
        }
        for bad in [
            "snaive",
            "snaive:0",
            "arima:1,1",
            "arima:1,3,1",
            "arima:x,1,1",
            "prophet",
        ] {
            let e = bad.parse::<ModelSpec>().unwrap_err().to_string();
            assert!(e.contains("model") || e.contains("ARIMA"), "{bad}: {e}");
        }
        assert_eq!(ModelSpec::parse_list("naive; drift", 1).unwrap().len(), 2);
        assert_eq!(ModelSpec::parse_list("default", 24).unwrap().len(), 8);
    }
}
