//! Combiners and off-policy evaluation on numpy arrays (`metablend.combine`,
//! `metablend.ope`): the library's implementations, the same numbers as `compare` and `ope`.

use std::collections::HashMap;

use metablend_agents::ope::{evaluate_off_policy, read_log_from, LoggedAction, OpeSettings};
use metablend_ensemble::combine::{
    classical_combiners, run_combiner, BestSingle, Combiner, EqualWeights, ExpGradient, FixedShare,
    Hedge, InverseMse, Median, OracleConvex, Stacking,
};
use metablend_env::Predictions;
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use crate::convert::from_json;
use crate::errors::{raise, Kind, OrRaise};

/// The combiner `method` names, with its parameters (`eta` for the online ones, `window`
/// for inverse MSE; defaults otherwise).
fn combiner(method: &str, eta: Option<f64>, window: Option<usize>) -> PyResult<Box<dyn Combiner>> {
    let online = |tuned: Box<dyn Combiner>, fixed: fn(f64) -> Box<dyn Combiner>| match eta {
        Some(eta) => fixed(eta),
        None => tuned,
    };
    Ok(match method {
        "equal" => Box::new(EqualWeights),
        "median" => Box::new(Median),
        "best_single" => Box::new(BestSingle::default()),
        "inverse_mse" => Box::new(InverseMse::new(
            window.unwrap_or(InverseMse::DEFAULT_WINDOW),
        )),
        "stacking" => Box::new(Stacking::default()),
        "hedge" => online(Box::new(Hedge::tuned()), |e| Box::new(Hedge::new(e))),
        "exp_gradient" => online(Box::new(ExpGradient::tuned()), |e| {
            Box::new(ExpGradient::new(e))
        }),
        "fixed_share" => online(Box::new(FixedShare::tuned()), |e| {
            Box::new(FixedShare::new(e))
        }),
        "oracle" => Box::new(OracleConvex::default()),
        other => {
            return Err(raise(
                Kind::InvalidInput,
                format!(
                    "combiner `{other}`: choose equal, median, best_single, inverse_mse, \
                     stacking, hedge, exp_gradient, fixed_share or oracle"
                ),
            ))
        }
    })
}

/// One combiner's result: name, whether it is an oracle, the forecasts and the weights.
type CombinedTuple<'py> = (String, bool, Bound<'py, PyArray1<f64>>, Bound<'py, PyAny>);

fn table(
    target: PyReadonlyArray1<f64>,
    predictions: PyReadonlyArray2<f64>,
    names: Vec<String>,
) -> PyResult<Predictions> {
    let p = predictions.as_array();
    if p.ncols() != names.len() {
        return Err(raise(
            Kind::InvalidInput,
            format!(
                "the predictions have {} columns, {} model names given",
                p.ncols(),
                names.len()
            ),
        ));
    }
    Predictions::from_flat(
        target.as_array().to_vec(),
        p.iter().copied().collect(),
        names,
    )
    .or_raise()
}

/// Runs combiners over rows `[train_end, eval_end)` after fitting on `[0, train_end)`:
/// `method` names one, or `None` runs every classical combiner.
#[pyfunction]
#[pyo3(signature = (target, predictions, names, train_end, eval_end=None, method=None, eta=None, window=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn combine<'py>(
    py: Python<'py>,
    target: PyReadonlyArray1<f64>,
    predictions: PyReadonlyArray2<f64>,
    names: Vec<String>,
    train_end: usize,
    eval_end: Option<usize>,
    method: Option<&str>,
    eta: Option<f64>,
    window: Option<usize>,
) -> PyResult<Vec<CombinedTuple<'py>>> {
    let preds = table(target, predictions, names)?;
    let end = eval_end.unwrap_or(preds.len());
    let mut combiners = match method {
        Some(m) => vec![combiner(m, eta, window)?],
        None => classical_combiners(),
    };
    combiners
        .iter_mut()
        .map(|c| {
            let out = run_combiner(c.as_mut(), &preds, 0..train_end, train_end..end).or_raise()?;
            let k = preds.num_models();
            let flat: Vec<f64> = out.weights.iter().flatten().copied().collect();
            let weights = PyArray1::from_vec(py, flat)
                .reshape([out.weights.len(), k])
                .map_err(|e| raise(Kind::InvalidInput, e.to_string()))?;
            Ok((
                out.name,
                out.oracle,
                PyArray1::from_vec(py, out.forecasts),
                weights.into_any(),
            ))
        })
        .collect()
}

/// Off-policy estimates from a JSONL log (its text, named `source` in errors). The target
/// policy's ln-probabilities come from `log_prob(obs, action)` or from `values`, keyed by
/// `(episode, t)`. Returns the report as JSON.
#[pyfunction]
#[pyo3(signature = (log, source, settings=None, log_prob=None, keys=None, values=None))]
pub(crate) fn off_policy(
    py: Python<'_>,
    log: &str,
    source: &str,
    settings: Option<&str>,
    log_prob: Option<Py<PyAny>>,
    keys: Option<Vec<(u64, usize)>>,
    values: Option<Vec<f64>>,
) -> PyResult<String> {
    let trajectories = read_log_from(log.as_bytes(), source).or_raise()?;
    let settings: OpeSettings = match settings {
        Some(s) => from_json(s, "OPE settings")?,
        None => OpeSettings::default(),
    };
    let table: Option<HashMap<(u64, usize), f64>> = match (keys, values) {
        (Some(k), Some(v)) if k.len() == v.len() => Some(k.into_iter().zip(v).collect()),
        (Some(k), Some(v)) => {
            return Err(raise(
                Kind::InvalidInput,
                format!(
                    "{} target log-probabilities for {} logged steps",
                    v.len(),
                    k.len()
                ),
            ))
        }
        _ => None,
    };
    let mut python_error: Option<PyErr> = None;
    // With given values: each logged step's (episode, t), found by its observation (the
    // estimators pass the logged step's own slice).
    let index: HashMap<*const f64, (u64, usize)> = match table {
        Some(_) => trajectories
            .iter()
            .flat_map(|traj| &traj.steps)
            .map(|s| (s.obs.as_ptr(), (s.episode, s.t)))
            .collect(),
        None => HashMap::new(),
    };
    let report = evaluate_off_policy(
        &trajectories,
        |obs, action| {
            if let Some(table) = &table {
                let key = index.get(&obs.as_ptr()).copied();
                return key.and_then(|k| table.get(&k).copied()).ok_or_else(|| {
                    metablend_agents::Error::InvalidInput(format!(
                        "no target log-probability for logged step {key:?}"
                    ))
                });
            }
            let Some(f) = &log_prob else {
                return Err(metablend_agents::Error::InvalidInput(
                    "give the target policy's log-probabilities (a callable or values)".into(),
                ));
            };
            let obs = PyArray1::from_slice(py, obs);
            let result = match action {
                LoggedAction::Discrete(a) => f.bind(py).call1((obs, *a)),
                LoggedAction::Continuous(a) => f.bind(py).call1((obs, PyArray1::from_slice(py, a))),
            }
            .and_then(|v| v.extract::<f64>());
            result.map_err(|e| {
                let message = e.to_string();
                python_error.get_or_insert(e);
                metablend_agents::Error::InvalidInput(message)
            })
        },
        &settings,
    );
    if let Some(e) = python_error {
        return Err(e);
    }
    let report = report.or_raise()?;
    serde_json::to_string(&report).map_err(|e| raise(Kind::InvalidInput, e.to_string()))
}
