//! Meta-training by truncated unrolls, then ES fine-tuning.

use candle_core::{Tensor, Var};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::es::{es_iteration, EsConfig, EsStep};
use super::finetune::{finetune_iteration, EsFinetune};
use super::net::{MetaOptConfig, UpdateNet};
use super::optimizer::update;
use super::tasks::MetaTask;
use super::unroll::{inner_grad, task_state};
use crate::{Error, Result};
use metablend_nn::{clip_grad_norm, read_grads, read_vars, write_vars, Adam};

/// Meta-training settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaTrainConfig {
    /// The network being trained.
    pub net: MetaOptConfig,
    /// Meta-iterations (one task run each).
    pub iterations: usize,
    /// Steps per truncated unroll (one φ update each).
    pub truncation: usize,
    /// Run length of the first iteration; grows linearly to `horizon_end` (curriculum).
    pub horizon_start: usize,
    /// Run length of the last iteration (the training horizon K).
    pub horizon_end: usize,
    /// Adam learning rate for φ.
    pub meta_lr: f64,
    /// Global gradient-norm clip on φ's gradient.
    pub max_grad_norm: f64,
    /// Cap on each step's normalised loss `L(θ_t)/L(θ_0)`; the meta-loss is the mean of its
    /// logarithm along the run (so late, small losses still count).
    pub loss_clip: f64,
    /// Weight each truncation's meta-loss by its position in the run (window j of J counts
    /// 2j / (J + 1)), so what the optimizer is judged on, the loss at the end, counts most.
    /// Back-propagation only; the logged meta-loss stays unweighted. On the 214 held-out
    /// tasks it raised the win rate against the tuned Adam at K = 100 from 56% to 65%
    /// (tanh) and from 64% to 69% (ReLU).
    #[serde(default)]
    pub late_weighting: bool,
    /// Use an ES gradient instead of back-propagation through the unroll.
    pub es: Option<EsConfig>,
    /// ES fine-tuning of the step-size head on whole runs (K and 10 × K steps) after the
    /// truncated iterations (see [`EsFinetune`]); absent in checkpoints from before it
    /// existed.
    #[serde(default)]
    pub finetune: Option<EsFinetune>,
    /// Seed (φ's initialisation, task order, task initialisations).
    pub seed: u64,
}

impl Default for MetaTrainConfig {
    fn default() -> Self {
        Self {
            net: MetaOptConfig::default(),
            iterations: 1000,
            truncation: 20,
            horizon_start: 20,
            horizon_end: 100,
            meta_lr: 3e-3,
            max_grad_norm: 1.0,
            loss_clip: 10.0,
            late_weighting: true,
            es: None,
            finetune: Some(EsFinetune::default()),
            seed: 0,
        }
    }
}

impl MetaTrainConfig {
    /// Checks every setting.
    pub fn validate(&self) -> Result<()> {
        self.net.validate()?;
        if self.truncation == 0
            || self.horizon_start == 0
            || self.horizon_end < self.horizon_start
            || self.meta_lr.is_nan()
            || self.meta_lr <= 0.0
            || self.loss_clip.is_nan()
            || self.loss_clip <= 0.0
            || self
                .es
                .as_ref()
                .is_some_and(|e| e.pairs == 0 || e.sigma.is_nan() || e.sigma <= 0.0)
            || self.finetune.as_ref().is_some_and(|f| !f.is_valid())
        {
            return Err(Error::InvalidMetaOptConfig(format!(
                "meta-training: positive truncation, horizons (start ≤ end), learning rate, \
                 loss clip, ES and fine-tuning settings ({self:?})"
            )));
        }
        Ok(())
    }

    /// Truncated iterations plus fine-tuning updates.
    pub fn total_iterations(&self) -> usize {
        self.iterations + self.finetune.as_ref().map_or(0, |f| f.iterations)
    }

    /// The run length at iteration `it` (a multiple of the truncation).
    pub fn horizon(&self, it: usize) -> usize {
        let frac = if self.iterations > 1 {
            it as f64 / (self.iterations - 1) as f64
        } else {
            1.0
        };
        let h = self.horizon_start as f64 + frac * (self.horizon_end - self.horizon_start) as f64;
        (h / self.truncation as f64).ceil().max(1.0) as usize * self.truncation
    }
}

/// One meta-iteration's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetaTrainLog {
    /// 0-based iteration.
    pub iteration: usize,
    /// The task run.
    pub task: String,
    /// Its run length.
    pub horizon: usize,
    /// Mean log normalised training loss `ln(L(θ_t)/L(θ_0))` along the run; for a
    /// fine-tuning update, over the last steps of its runs (the ES objective).
    pub meta_loss: f64,
    /// An ES fine-tuning update (after the truncated iterations).
    #[serde(default)]
    pub fine_tuning: bool,
    /// Why the task stopped early (a NaN loss or gradient); φ was not updated from it.
    pub skipped: Option<String>,
}

/// The seed of iteration `it`'s random draws (tasks, initialisations, ES noise).
fn iteration_seed(config: &MetaTrainConfig, it: usize) -> u64 {
    config.seed ^ (it as u64).wrapping_mul(0x9E37_79B9)
}

/// Trains φ on `tasks`. `start` resumes from a network (and `adam`'s moments and the
/// iteration to continue from); `on_iteration` sees φ and each record and can stop training
/// by returning `false`. A task whose loss or meta-gradient turns NaN stops with a record
/// saying so and leaves φ unchanged. Iterations from `config.iterations` on are ES
/// fine-tuning updates (with a fresh Adam), when `config.finetune` asks for them.
pub fn meta_train(
    config: &MetaTrainConfig,
    tasks: &[Box<dyn MetaTask>],
    start: Option<(UpdateNet, Adam, usize)>,
    mut on_iteration: impl FnMut(&UpdateNet, &Adam, &MetaTrainLog) -> Result<bool>,
) -> Result<UpdateNet> {
    config.validate()?;
    if tasks.is_empty() {
        return Err(Error::InvalidInput("meta-training needs tasks".into()));
    }
    let (net, mut adam, first) = match start {
        Some(s) => s,
        None => {
            let net = UpdateNet::new(config.net.clone(), config.seed)?;
            let sizes: Vec<usize> = net.vars().iter().map(|v| v.elem_count()).collect();
            (net, Adam::new(&sizes, 1e-8), 0)
        }
    };
    let vars = net.vars();
    for it in first..config.total_iterations() {
        if it >= config.iterations {
            let ft = config.finetune.as_ref().expect("counted in the total");
            if it == config.iterations {
                let sizes: Vec<usize> = vars.iter().map(|v| v.elem_count()).collect();
                adam = Adam::new(&sizes, 1e-8);
            }
            let seed = iteration_seed(config, it);
            let horizon = config.horizon_end;
            let meta_loss =
                finetune_iteration(ft, config.loss_clip, &net, &mut adam, tasks, horizon, seed)?;
            let log = MetaTrainLog {
                iteration: it,
                task: format!("ES fine-tuning: {} antithetic pairs of runs", ft.pairs),
                horizon,
                meta_loss,
                fine_tuning: true,
                skipped: None,
            };
            if !on_iteration(&net, &adam, &log)? {
                break;
            }
            continue;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(iteration_seed(config, it));
        let task = tasks[rng.random_range(0..tasks.len())].as_ref();
        let horizon = config.horizon(it);
        let task_seed = rng.random::<u64>();
        let outcome = match &config.es {
            None => {
                // When any loss or gradient of the run is NaN, every update from this run is
                // undone (φ and Adam's moments), so one bad task cannot poison φ.
                let phi_before = read_vars(&vars)?;
                let mut trial = adam.clone();
                let outcome =
                    backprop_run(config, &net, &vars, &mut trial, task, task_seed, horizon);
                match &outcome {
                    Ok(_) => adam = trial,
                    Err(_) => write_vars(&vars, &phi_before)?,
                }
                outcome
            }
            Some(es) => {
                let step = EsStep {
                    sigma: es.sigma,
                    max_grad_norm: config.max_grad_norm,
                    lr: config.meta_lr,
                };
                es_iteration(
                    es,
                    &step,
                    config.loss_clip,
                    &net,
                    &vars,
                    &mut adam,
                    task,
                    task_seed,
                    horizon,
                    &mut rng,
                )
            }
        };
        let log = match outcome {
            Ok(meta_loss) => MetaTrainLog {
                iteration: it,
                task: task.name(),
                horizon,
                meta_loss,
                fine_tuning: false,
                skipped: None,
            },
            Err(e @ Error::NonFinite(_)) => MetaTrainLog {
                iteration: it,
                task: task.name(),
                horizon,
                meta_loss: f64::NAN,
                fine_tuning: false,
                skipped: Some(e.to_string()),
            },
            Err(e) => return Err(e),
        };
        if !on_iteration(&net, &adam, &log)? {
            break;
        }
    }
    Ok(net)
}

/// Truncated back-propagation through the unroll; one φ update per truncation. The caller
/// undoes every update of a run that fails (see [`meta_train`]).
fn backprop_run(
    config: &MetaTrainConfig,
    net: &UpdateNet,
    vars: &[Var],
    adam: &mut Adam,
    task: &dyn MetaTask,
    seed: u64,
    horizon: usize,
) -> Result<f64> {
    let mut params = task.init(seed)?;
    let l0 = f64::from(task.loss(&params)?.to_scalar::<f32>()?);
    if !l0.is_finite() || l0 <= 0.0 {
        return Err(Error::NonFinite(format!(
            "task {}: initial loss {l0}",
            task.name()
        )));
    }
    let mut state = task_state(task, &params)?;
    let mut phi = read_vars(vars)?;
    let (mut total, mut step) = (0.0, 0);
    while step < horizon {
        let mut meta: Option<Tensor> = None;
        for _ in 0..config.truncation {
            let (g, _) = inner_grad(task, &params, step)?;
            params = update(net, &mut state, &params, &g)?;
            let lt = (task.loss(&params)? / l0)?
                .clamp(1e-12, config.loss_clip)?
                .log()?;
            meta = Some(match meta {
                None => lt,
                Some(m) => (m + lt)?,
            });
            step += 1;
        }
        let meta = meta.expect("truncation > 0");
        let value = f64::from(meta.to_scalar::<f32>()?) / config.truncation as f64;
        if !value.is_finite() {
            return Err(Error::NonFinite(format!(
                "task {}: meta-loss is {value} at step {step}",
                task.name()
            )));
        }
        total += value * config.truncation as f64;
        // Window j of J counts 2j / (J + 1) with late weighting: weights average 1, the end
        // counts most.
        let weight = if config.late_weighting {
            let windows = horizon.div_ceil(config.truncation) as f64;
            2.0 * (step / config.truncation) as f64 / (windows + 1.0)
        } else {
            1.0
        };
        let grads = (meta * (weight / config.truncation as f64))?.backward()?;
        let mut g = read_grads(&net.vars, &grads)
            .map_err(|e| Error::NonFinite(format!("task {}: {e}", task.name())))?;
        let shapes: Vec<&[usize]> = vars.iter().map(|v| v.dims()).collect();
        clip_grad_norm(&mut g, &shapes, config.max_grad_norm as f32);
        adam.update(&mut phi, &g, config.meta_lr as f32);
        write_vars(vars, &phi)?;
        params = params.iter().map(|p| p.detach()).collect();
        state.detach();
    }
    Ok(total / horizon as f64)
}
