//! The M4-definition metrics reproduce the reference cases in tests/data/forecast/metrics.json
//! (computed with numpy, cross-checked with utilsforecast; see PROVENANCE.md).

use crate::util::{close, read_json};
use metablend_ensemble::metrics;

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[test]
fn metrics_match_the_reference_cases() {
    let fixture = read_json("forecast/metrics.json");
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() >= 5);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (y, f, x) = (
            floats(&case["y_true"]),
            floats(&case["y_pred"]),
            floats(&case["insample"]),
        );
        let m = case["m"].as_u64().unwrap() as usize;
        let e = &case["expected"];
        let want = |k: &str| e[k].as_f64().unwrap();
        assert!(
            close(metrics::mse(&y, &f).unwrap(), want("mse"), 1e-12),
            "{name}: mse"
        );
        assert!(
            close(metrics::mae(&y, &f).unwrap(), want("mae"), 1e-12),
            "{name}: mae"
        );
        assert!(
            close(metrics::smape(&y, &f).unwrap(), want("smape"), 1e-12),
            "{name}: smape"
        );
        assert!(
            close(
                metrics::mase_scale(&x, m).unwrap(),
                want("mase_scale"),
                1e-12
            ),
            "{name}: scale"
        );
        let mase = metrics::mase(&y, &f, &x, m).unwrap();
        assert!(close(mase, want("mase"), 1e-12), "{name}: mase");
        match (metrics::mape(&y, &f).unwrap(), e["mape"].as_f64()) {
            (Some(got), Some(w)) => assert!(close(got, w, 1e-12), "{name}: mape"),
            (None, None) => {}
            other => panic!("{name}: mape {other:?}"),
        }
        let n2 = &case["naive2"];
        let owa = metrics::owa(
            metrics::smape(&y, &f).unwrap(),
            mase,
            n2["smape"].as_f64().unwrap(),
            n2["mase"].as_f64().unwrap(),
        )
        .unwrap();
        assert!(close(owa, want("owa"), 1e-12), "{name}: owa");
    }
}
