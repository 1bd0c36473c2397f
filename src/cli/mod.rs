//! Subcommands. Each file parses its arguments, calls the library and renders the result;
//! no domain logic here.

mod backtest;
mod check_env;
mod compare;
mod cv;
mod evaluate;
mod features;
mod fit;
mod forecast;
mod gym;
mod m4;
mod metaopt;
mod ope;
mod panel_args;
mod run;
mod train;

use clap::{Parser, Subcommand};

/// metablend: meta-learned forecast combination (Gymnasium-style envs, PPO on candle).
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
pub struct Cli {
    /// More log output (-v: info, -vv: debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

impl Cli {
    /// The tracing filter implied by `-v`.
    pub fn log_level(&self) -> &'static str {
        match self.verbose {
            0 => "warn",
            1 => "info",
            _ => "debug",
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The main job: backtest the base models on the vendored S&P 500 and electricity
    /// data, train PPO, select on validation, evaluate on the test range against every
    /// combiner, and write a report folder.
    Run(run::RunArgs),
    /// Train PPO on an ensemble env from a predictions CSV into a run folder.
    Train(train::TrainArgs),
    /// Evaluate a run's best policy against every base model and combiner.
    Evaluate(evaluate::EvaluateArgs),
    /// Log a run's policy (or a noisy version of it) on its ensemble env, for off-policy
    /// evaluation.
    Collect(ope::CollectArgs),
    /// Off-policy evaluation: estimate a policy's value from a log (IS, WIS, PDIS, WPDIS,
    /// DR with bootstrap intervals and weight diagnostics).
    Ope(ope::OpeArgs),
    /// Train PPO on CartPole-v1 or Pendulum-v1 with a zoo preset and evaluate it: the
    /// validation path against published Stable-Baselines3 results.
    Gym(gym::GymArgs),
    /// Run the env checker on an ensemble-weighting env built from a predictions CSV.
    CheckEnv(check_env::CheckEnvArgs),
    /// Walk-forward backtest of base forecasters: a series CSV and a model list → a
    /// predictions CSV ready for the ensemble env (or h-step forecasts for a panel).
    Backtest(backtest::BacktestArgs),
    /// Score every base model and classical combiner on a held-out range of a predictions
    /// table (M4 metrics, Diebold–Mariano vs equal weights): table, Markdown, JSON.
    Compare(compare::CompareArgs),
    /// Fit a meta-model on a panel of your series (long CSV `unique_id,ds,y` or
    /// `series,t,value`, or M4 wide files): the pool's validation forecasts, features and a
    /// meta-learner, saved to a model folder.
    Fit(fit::FitArgs),
    /// Forecast the future of a panel's series with a fitted meta-model: the combined
    /// forecast, each model's forecast and the weights, one row per series and step.
    Forecast(forecast::ForecastArgs),
    /// Rolling-origin evaluation on a panel: for each of the last N windows, fit and
    /// forecast from the data before it, and score the meta-model, the rules and every
    /// pool model (sMAPE, MASE, OWA vs Naive2, interval coverage and MSIS).
    Cv(cv::CvArgs),
    /// FFORMA's features of every series of a panel (the meta-learner's inputs), as a CSV
    /// table.
    Features(features::FeaturesArgs),
    /// Meta-feature combination on M4 Hourly or Weekly: pool forecasts, FFORMA's features,
    /// a contextual PPO meta-combiner and a supervised FFORMA-style learner against the
    /// baselines and the published M4 rows.
    M4(m4::M4Args),
    /// The learned optimizer: meta-train it on forecasting tasks from M4 series, or
    /// evaluate it on held-out series against tuned Adam and SGD with momentum.
    Metaopt(metaopt::MetaoptArgs),
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Train(args) => train::run(args),
        Command::Evaluate(args) => evaluate::run(args),
        Command::Fit(args) => fit::run(args),
        Command::Cv(args) => cv::run(args),
        Command::Forecast(args) => forecast::run(args),
        Command::Features(args) => features::run(args),
        Command::Collect(args) => ope::run_collect(args),
        Command::Ope(args) => ope::run_ope(args),
        Command::Gym(args) => gym::run(args),
        Command::CheckEnv(args) => check_env::run(args),
        Command::Backtest(args) => backtest::run(args),
        Command::Compare(args) => compare::run(args),
        Command::M4(args) => m4::run(args),
        Command::Metaopt(args) => metaopt::run(args),
    }
}
