//! metablend's cross-crate test binary (one binary, as ripgrep does): each module is one area.

// The learning tests allocate and free many small tensors; mimalloc keeps that cheap.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod checkpoints;
mod cli;
mod cli_forecast;
mod cli_m4;
mod cli_metaopt;
mod cli_pipeline;
mod features_fixture;
mod forecast_fixtures;
mod gymnasium_golden;
mod m4_hourly;
mod metrics_fixture;
mod panels;
mod ppo_learning;
mod reliability;
mod util;
