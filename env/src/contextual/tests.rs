use std::sync::Arc;

use super::*;
use crate::ensemble::{Residual, Select, Simplex, Softmax};
use crate::{check_env, Env};

fn panel() -> Arc<ContextPanel> {
    let tasks = (0..6)
        .map(|i| {
            let target: Vec<f64> = (0..4).map(|s| 10.0 + i as f64 + s as f64).collect();
            ContextTask {
                id: format!("S{i}"),
                context: vec![i as f64, -(i as f64)],
                // Model a is exact on even series, model b on odd ones.
                forecasts: vec![
                    target.iter().map(|y| y + (i % 2) as f64 * 3.0).collect(),
                    target
                        .iter()
                        .map(|y| y + ((i + 1) % 2) as f64 * 3.0)
                        .collect(),
                    target.iter().map(|y| y - 1.0).collect(),
                ],
                target,
                mase_scale: 1.0,
                reference: (10.0, 1.0),
            }
        })
        .collect();
    Arc::new(ContextPanel::new(tasks, vec!["a".into(), "b".into(), "c".into()]).unwrap())
}

#[test]
fn passes_check_env_with_every_action_map() {
    let p = panel();
    check_env(
        &mut ContextualEnv::new(p.clone(), Softmax, ContextOrder::Random).unwrap(),
        3,
        20,
    )
    .unwrap();
    check_env(
        &mut ContextualEnv::new(p.clone(), Residual, ContextOrder::Random).unwrap(),
        3,
        20,
    )
    .unwrap();
    check_env(
        &mut ContextualEnv::new(p.clone(), Simplex, ContextOrder::Sequential).unwrap(),
        3,
        20,
    )
    .unwrap();
    check_env(
        &mut ContextualEnv::new(p, Select, ContextOrder::Random).unwrap(),
        3,
        20,
    )
    .unwrap();
}

#[test]
fn one_step_per_series_rewarded_by_the_combined_loss() {
    let p = panel();
    let mut env = ContextualEnv::new(p.clone(), Select, ContextOrder::Sequential).unwrap();
    for i in 0..6 {
        let (obs, _) = env.reset(if i == 0 { Some(0) } else { None }).unwrap();
        assert_eq!(env.current_task(), i);
        assert_eq!(&obs[..2], &[i as f64, -(i as f64)]);
        // The exact model's loss is 0, so its log-loss entry sits at the lower clip.
        let exact = i % 2;
        assert_eq!(obs[2 + exact], -5.0);
        let step = env.step(&exact).unwrap();
        assert!(step.terminated && !step.truncated);
        assert_eq!(step.reward, 0.0);
        assert!(matches!(env.step(&exact), Err(crate::Error::StepAfterDone)));
        env.reset(Some(0)).unwrap();
        for _ in 0..i {
            env.step(&0).unwrap();
            env.reset(None).unwrap();
        }
        let wrong = env.step(&(1 - exact)).unwrap();
        // sMAPE 200·3/(2y+3) relative to 10, MASE 3 relative to 1.
        let t = &p.tasks()[i].target;
        let smape: f64 =
            t.iter().map(|y| 200.0 * 3.0 / (2.0 * y + 3.0)).sum::<f64>() / t.len() as f64;
        let expected = (0.5 * (smape / 10.0 + 3.0)).min(10.0);
        assert!(
            (wrong.reward + expected).abs() < 1e-12,
            "{} {expected}",
            wrong.reward
        );
    }
}

#[test]
fn bad_panels_and_selections_are_errors() {
    let p = panel();
    let mut tasks = p.tasks().to_vec();
    tasks[2].forecasts[1].pop();
    let err = ContextPanel::new(tasks, p.model_names().to_vec()).unwrap_err();
    assert!(err.to_string().contains("task 2 (S2)"), "{err}");
    let mut tasks = p.tasks().to_vec();
    tasks[4].mase_scale = 0.0;
    assert!(ContextPanel::new(tasks, p.model_names().to_vec()).is_err());
    let env = ContextualEnv::new(p, Softmax, ContextOrder::Random).unwrap();
    assert!(env.with_selection(vec![0, 9]).is_err());
}
