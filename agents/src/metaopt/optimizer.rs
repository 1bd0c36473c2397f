//! One learned update, and the `candle_nn::Optimizer` wrapper.

use std::sync::Arc;

use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};

use super::net::{UpdateForm, UpdateNet};
use crate::{Error, Result};

/// Bound on a normalised input feature.
const FEATURE_CLIP: f64 = 10.0;

/// A task's optimiser state: three momenta per parameter tensor and, for the LSTM variant,
/// each coordinate's cell state.
pub struct OptState {
    momenta: Vec<[Tensor; 3]>,
    /// Adam's second moment (β₂ = 0.999) per tensor.
    second: Vec<Tensor>,
    /// Each tensor's first gradient RMS.
    first_rms: Vec<Option<f64>>,
    lstm: Vec<Option<(Tensor, Tensor)>>,
    /// Each tensor's fan-in, if it is a weight matrix (see
    /// [`super::MetaOptConfig::fan_in_factor`]).
    fan_ins: Vec<Option<usize>>,
    /// Updates applied so far.
    pub steps: u64,
}

impl OptState {
    /// Zero momenta for parameters shaped like `params`, none of them a weight matrix with
    /// a known fan-in (no width scaling).
    pub fn new(params: &[Tensor]) -> Result<Self> {
        Self::with_fan_ins(params, &vec![None; params.len()])
    }

    /// Zero momenta for parameters shaped like `params`; `fan_ins[i]` is the fan-in of
    /// tensor `i` if it is a weight matrix, `None` for biases and other tensors.
    pub fn with_fan_ins(params: &[Tensor], fan_ins: &[Option<usize>]) -> Result<Self> {
        if fan_ins.len() != params.len() {
            return Err(Error::InvalidInput(format!(
                "learned optimizer: {} parameters but {} fan-ins",
                params.len(),
                fan_ins.len()
            )));
        }
        Ok(Self {
            fan_ins: fan_ins.to_vec(),
            second: params
                .iter()
                .map(|p| p.zeros_like())
                .collect::<candle_core::Result<_>>()?,
            first_rms: vec![None; params.len()],
            momenta: params
                .iter()
                .map(|p| {
                    let z = p.zeros_like()?;
                    Ok([z.clone(), z.clone(), z])
                })
                .collect::<Result<_>>()?,
            lstm: vec![None; params.len()],
            steps: 0,
        })
    }

    /// Cuts the LSTM state's dependence on φ (at the end of a truncated unroll).
    pub(crate) fn detach(&mut self) {
        for s in self.lstm.iter_mut().flatten() {
            *s = (s.0.detach(), s.1.detach());
        }
    }
}

/// `x / rms(x)`, clipped: the per-tensor normalisation that makes the inputs scale-free.
fn normalise(x: &Tensor) -> Result<Tensor> {
    let rms = (x.sqr()?.mean_all()? + 1e-16)?.sqrt()?;
    Ok(x.broadcast_div(&rms)?.clamp(-FEATURE_CLIP, FEATURE_CLIP)?)
}

/// Applies one learned step: returns the new parameters. The gradients, momenta and the
/// parameter values enter the network detached (first-order meta-gradients); the returned
/// parameters depend on φ through the update, so a meta-loss computed from them can be
/// differentiated with respect to φ.
pub fn update(
    net: &UpdateNet,
    state: &mut OptState,
    params: &[Tensor],
    grads: &[Tensor],
) -> Result<Vec<Tensor>> {
    if params.len() != grads.len() || params.len() != state.momenta.len() {
        return Err(Error::InvalidInput(format!(
            "learned optimizer: {} parameters, {} gradients, state for {}",
            params.len(),
            grads.len(),
            state.momenta.len()
        )));
    }
    let betas = net.config.betas;
    let step_scale = net.config.step_scale * net.config.step_factor(state.steps);
    let t = state.steps as i32 + 1;
    let mut out = Vec::with_capacity(params.len());
    for (i, (p, g)) in params.iter().zip(grads).enumerate() {
        let g = g.detach();
        for (k, beta) in betas.iter().enumerate() {
            let m = &state.momenta[i][k];
            state.momenta[i][k] = (m.affine(*beta, 0.0)? + g.affine(1.0 - beta, 0.0)?)?.detach();
        }
        let v = &state.second[i];
        state.second[i] = (v.affine(0.999, 0.0)? + g.sqr()?.affine(0.001, 0.0)?)?.detach();
        let m_hat = state.momenta[i][1].affine(1.0 / (1.0 - betas[1].powi(t)), 0.0)?;
        let v_hat = state.second[i].affine(1.0 / (1.0 - 0.999f64.powi(t)), 0.0)?;
        let adam_dir = m_hat
            .div(&(v_hat.sqrt()? + 1e-8)?)?
            .clamp(-FEATURE_CLIP, FEATURE_CLIP)?;
        let rms = f64::from(g.sqr()?.mean_all()?.sqrt()?.to_scalar::<f32>()?) + 1e-30;
        let first = *state.first_rms[i].get_or_insert(rms);
        let progress = (rms / first).ln().clamp(-FEATURE_CLIP, FEATURE_CLIP);
        let n = p.elem_count();
        let columns = [
            normalise(&g)?,
            normalise(&state.momenta[i][0])?,
            normalise(&state.momenta[i][1])?,
            normalise(&state.momenta[i][2])?,
            normalise(&p.detach())?,
            adam_dir.clone(),
            Tensor::full(progress as f32, p.shape(), p.device())?,
        ];
        let flat: Vec<Tensor> = columns
            .iter()
            .map(|c| c.reshape((n, 1)))
            .collect::<candle_core::Result<_>>()?;
        let x = Tensor::cat(&flat, 1)?;
        let (o, lstm) = net.forward(&x, state.lstm[i].take())?;
        state.lstm[i] = lstm;
        let direction = match net.config.form {
            UpdateForm::Free => o.narrow(1, 0, 1)?.tanh()?,
            UpdateForm::AdamScaled => adam_dir.reshape((n, 1))?,
        };
        let magnitude = o.narrow(1, 1, 1)?.clamp(-8.0, 4.0)?.exp()?;
        let scale = step_scale * net.config.fan_in_factor(state.fan_ins[i]);
        let delta = direction
            .mul(&magnitude)?
            .affine(-scale, 0.0)?
            .reshape(p.shape())?;
        out.push(p.add(&delta)?);
    }
    state.steps += 1;
    Ok(out)
}

/// A trained learned optimizer as a `candle_nn::Optimizer`: drop-in wherever a candle
/// optimiser is taken (e.g. `NeuralForecaster::with_optimizer` in the ensemble crate).
///
/// Through `candle_nn::Optimizer::new`, fan-ins follow candle's layout, which every metablend
/// network uses: a 2-D variable is a weight matrix `[out, in]` with fan-in `in`; other
/// variables are unscaled. For tensors in another layout, give the fan-ins with
/// [`LearnedOptimizer::with_fan_ins`].
pub struct LearnedOptimizer {
    net: Arc<UpdateNet>,
    vars: Vec<Var>,
    state: OptState,
}

impl LearnedOptimizer {
    /// The optimizer for `vars` whose fan-ins (`None`: not a weight matrix) are given.
    pub fn with_fan_ins(
        vars: Vec<Var>,
        net: Arc<UpdateNet>,
        fan_ins: &[Option<usize>],
    ) -> Result<Self> {
        let tensors: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
        let state = OptState::with_fan_ins(&tensors, fan_ins)?;
        Ok(Self { net, vars, state })
    }
}

impl candle_nn::Optimizer for LearnedOptimizer {
    type Config = Arc<UpdateNet>;

    fn new(vars: Vec<Var>, net: Arc<UpdateNet>) -> candle_core::Result<Self> {
        let fan_ins: Vec<Option<usize>> = vars
            .iter()
            .map(|v| match v.dims() {
                [_, fan_in] => Some(*fan_in),
                _ => None,
            })
            .collect();
        Self::with_fan_ins(vars, net, &fan_ins).map_err(|e| candle_core::Error::Msg(e.to_string()))
    }

    fn step(&mut self, grads: &GradStore) -> candle_core::Result<()> {
        let params: Vec<Tensor> = self.vars.iter().map(|v| v.as_tensor().detach()).collect();
        let g: Vec<Tensor> = self
            .vars
            .iter()
            .zip(&params)
            .map(|(v, p)| match grads.get(v.as_tensor()) {
                Some(g) => Ok(g.clone()),
                None => p.zeros_like(),
            })
            .collect::<candle_core::Result<_>>()?;
        let new = update(&self.net, &mut self.state, &params, &g)
            .map_err(|e| candle_core::Error::Msg(e.to_string()))?;
        for (v, t) in self.vars.iter().zip(new) {
            v.set(&t.detach())?;
        }
        Ok(())
    }

    fn learning_rate(&self) -> f64 {
        self.net.config.step_scale
    }

    /// The step scale is part of the trained network; this is a no-op.
    fn set_learning_rate(&mut self, _lr: f64) {}
}
