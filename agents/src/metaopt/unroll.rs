//! Running the learned optimizer on a task: the inner gradient, a whole run without
//! meta-gradients, and a task's fresh optimiser state. Shared by meta-training, ES
//! fine-tuning and evaluation.

use candle_core::{Tensor, Var};

use super::net::UpdateNet;
use super::optimizer::{update, OptState};
use super::tasks::MetaTask;
use crate::{Error, Result};

/// The inner gradient at `params` (evaluated on detached copies) and the loss there.
pub(crate) fn inner_grad(
    task: &dyn MetaTask,
    params: &[Tensor],
    step: usize,
) -> Result<(Vec<Tensor>, f64)> {
    let vars: Vec<Var> = params
        .iter()
        .map(|p| Var::from_tensor(&p.detach()))
        .collect::<candle_core::Result<_>>()?;
    let tensors: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
    let loss = task.loss(&tensors)?;
    let value = f64::from(loss.to_scalar::<f32>()?);
    if !value.is_finite() {
        return Err(Error::NonFinite(format!(
            "task {}: loss is {value} at step {step}",
            task.name()
        )));
    }
    let grads = loss.backward()?;
    let g = vars
        .iter()
        .map(|v| match grads.get(v.as_tensor()) {
            Some(g) => Ok(g.clone()),
            None => v.as_tensor().zeros_like(),
        })
        .collect::<candle_core::Result<_>>()?;
    Ok((g, value))
}

/// Runs the learned optimizer on `task` for `steps` without meta-gradients; returns the
/// training loss before each step and after the last (`steps + 1` values). A NaN loss is an
/// error naming the task and step.
pub(crate) fn unroll(
    net: &UpdateNet,
    task: &dyn MetaTask,
    seed: u64,
    steps: usize,
) -> Result<Vec<f64>> {
    let mut params = task.init(seed)?;
    let mut state = task_state(task, &params)?;
    let mut losses = Vec::with_capacity(steps + 1);
    for t in 0..steps {
        let (g, value) = inner_grad(task, &params, t)?;
        losses.push(value);
        params = update(net, &mut state, &params, &g)?
            .into_iter()
            .map(|p| p.detach())
            .collect();
    }
    let last = f64::from(task.loss(&params)?.to_scalar::<f32>()?);
    losses.push(last);
    Ok(losses)
}

/// A fresh optimiser state for `task`'s parameters, with the task's fan-ins.
pub(crate) fn task_state(task: &dyn MetaTask, params: &[Tensor]) -> Result<OptState> {
    let fan_ins: Vec<Option<usize>> = (0..params.len()).map(|i| task.fan_in(i)).collect();
    OptState::with_fan_ins(params, &fan_ins)
}
