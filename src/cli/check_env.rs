//! `metablend check-env`: the env checker on an ensemble env from a predictions file.

use std::path::PathBuf;
use std::sync::Arc;

use metablend::agents::action_maps::{with_action_map, ActionMapJob};
use metablend::agents::ope::Perturbable;
use metablend::env::ensemble::ActionMapKind;
use metablend::env::{
    check_env, ActionMap, EnsembleEnv, EnsembleEnvConfig, Predictions, PredictionsPanel,
};

/// Arguments of `metablend check-env`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  metablend check-env --predictions preds.csv --window 20 --action-map residual"
)]
pub struct CheckEnvArgs {
    /// Predictions CSV: `[time,]target,<model>...`, or a panel with a leading `series` column.
    #[arg(long)]
    predictions: PathBuf,
    /// Window W for the scale and the recent errors.
    #[arg(long, default_value_t = 20)]
    window: usize,
    /// Action map.
    #[arg(long, default_value = "softmax")]
    action_map: ActionMapKind,
    /// Use ln(RMSE) in block B.
    #[arg(long)]
    log_rmse: bool,
    /// Random steps to check.
    #[arg(long, default_value_t = 500)]
    steps: usize,
}

/// Runs `metablend check-env`.
pub fn run(args: CheckEnvArgs) -> anyhow::Result<()> {
    let first_line = {
        use std::io::BufRead;
        let file = std::fs::File::open(&args.predictions)
            .map_err(|e| metablend::core::Error::io(&args.predictions, e))?;
        let mut line = String::new();
        std::io::BufReader::new(file).read_line(&mut line)?;
        line
    };
    let panel = if first_line
        .trim_start_matches('\u{feff}')
        .starts_with("series")
    {
        PredictionsPanel::read_csv(&args.predictions)?
    } else {
        PredictionsPanel::new(vec![Predictions::read_csv(&args.predictions)?])?
    };
    let cfg = EnsembleEnvConfig {
        window: args.window,
        log_rmse: args.log_rmse,
        ..Default::default()
    };
    let job = Check {
        data: Arc::new(panel),
        cfg,
        steps: args.steps,
    };
    with_action_map(args.action_map, job)
}

struct Check {
    data: Arc<PredictionsPanel>,
    cfg: EnsembleEnvConfig,
    steps: usize,
}

impl ActionMapJob for Check {
    type Output = anyhow::Result<()>;
    fn run<M>(self, map: M) -> anyhow::Result<()>
    where
        M: ActionMap,
        M::Space: Perturbable,
    {
        let series = self.data.len();
        let models = self.data.model_names().join(", ");
        let mut env = EnsembleEnv::new(self.data, self.cfg, map)?;
        check_env(&mut env, 0, self.steps)?;
        println!(
            "ok: {series} series, models [{models}], action map {:?}: env contract holds",
            env.action_map().kind()
        );
        Ok(())
    }
}
