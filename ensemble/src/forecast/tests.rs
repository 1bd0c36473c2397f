//! Properties every forecaster must have, whatever the input.

use proptest::prelude::*;

use super::{LstmConfig, MlpConfig, ModelSpec};

fn all_models() -> Vec<ModelSpec> {
    let mut specs = ModelSpec::parse_list(
        "naive snaive:4 drift ses holt damped theta theta:4 arima:1,1,1 arima:2,0,1,c auto_arima",
        1,
    )
    .unwrap();
    // Tiny networks keep the property test fast; the training code path is the same.
    let mut mlp = MlpConfig::default();
    mlp.train.lags = 4;
    mlp.train.epochs = 2;
    let mut lstm = LstmConfig::default();
    lstm.train.lags = 4;
    lstm.train.epochs = 2;
    specs.extend([ModelSpec::Mlp(mlp), ModelSpec::Lstm(lstm)]);
    specs
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// `fit` on any finite input returns Ok or a clear error (never panics), and a fitted
    /// model forecasts finite values; appending keeps it usable.
    #[test]
    fn fit_never_panics_and_forecasts_are_finite(
        y in prop::collection::vec(-1e4f64..1e4, 0..70),
        constant in prop::bool::ANY,
    ) {
        let y: Vec<f64> = if constant { vec![3.0; y.len()] } else { y };
        for spec in all_models() {
            let mut model = spec.build().unwrap();
            if model.fit(&y).is_ok() {
                let f = model.forecast(3).unwrap();
                prop_assert!(f.iter().all(|v| v.is_finite()), "{spec}: {f:?}");
                model.append(1.0).unwrap();
                prop_assert!(model.forecast(1).unwrap()[0].is_finite());
            } else {
                prop_assert!(model.forecast(1).is_err());
            }
            prop_assert!(model.append(f64::NAN).is_err());
        }
    }
}

#[test]
fn non_finite_history_is_rejected_by_every_model() {
    let mut y: Vec<f64> = (0..80).map(|t| (t as f64).sin()).collect();
    y[40] = f64::NAN;
    for spec in all_models() {
        let err = spec.build().unwrap().fit(&y).unwrap_err().to_string();
        assert!(
            err.contains("history[40]") || err.contains("NaN"),
            "{spec}: {err}"
        );
    }
}

/// Estimation that cannot succeed is a clear `FitFailed`, not a panic or a silent NaN.
#[test]
fn failed_estimation_is_a_clear_error() {
    use super::{ArimaConfig, Forecaster, MlpForecaster};
    use crate::Error;
    let flat = vec![5.0; 60];
    let mut arima = super::Arima::new(ArimaConfig {
        p: 1,
        d: 1,
        q: 0,
        constant: false,
    })
    .unwrap();
    let err = arima.fit(&flat).unwrap_err();
    assert!(matches!(err, Error::FitFailed { .. }), "{err}");
    assert!(err.to_string().contains("constant"), "{err}");
    // Adam with an absurd learning rate diverges: reported as such.
    let mut config = MlpConfig::default();
    config.train.learning_rate = 1e30;
    config.train.lags = 4;
    let y: Vec<f64> = (0..200).map(|t| (t as f64 * 0.5).sin() * 1e3).collect();
    let mut mlp = MlpForecaster::new(config).unwrap();
    match mlp.fit(&y) {
        Err(Error::FitFailed { detail, .. }) => assert!(detail.contains("diverged"), "{detail}"),
        Ok(()) => assert!(mlp.forecast(3).unwrap().iter().all(|v| v.is_finite())),
        Err(other) => panic!("unexpected error {other}"),
    }
}
