//! The M4-definition metrics reproduce the reference cases in tests/data/forecast/metrics.json
//! (computed with numpy, cross-checked with utilsforecast; see PROVENANCE.md).

use crate::util::{close, read_json};
use metablend_core::metrics;

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

#[test]
fn diebold_mariano_matches_the_reference_cases() {
    let fixture = read_json("forecast/dm.json");
    let cases = fixture["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let h = case["h"].as_u64().unwrap() as usize;
        let (y, f1, f2) = (floats(&case["y"]), floats(&case["f1"]), floats(&case["f2"]));
        let got = metablend_ensemble::diebold_mariano(&y, &f1, &f2, h).unwrap();
        let e = &case["expected"];
        let want_stat = e["dm_hln"].as_f64().unwrap();
        let want_p = e["p_value_two_sided"].as_f64().unwrap();
        assert!(
            (got.statistic - want_stat).abs() < 1e-10 * want_stat.abs().max(1.0),
            "{name}: {got:?}"
        );
        assert!(
            (got.p_value - want_p).abs() < 1e-9,
            "{name}: p {} vs {want_p}",
            got.p_value
        );
        assert!((got.mean_differential - e["d_mean"].as_f64().unwrap()).abs() < 1e-12);
    }
}
