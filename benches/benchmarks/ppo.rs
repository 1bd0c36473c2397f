//! One PPO iteration (rollout + update) with the zoo presets, and one PPO update alone.

use criterion::{criterion_group, Criterion};
use metablend_agents::ppo::{Ppo, PpoConfig};
use metablend_env::envs::{CartPole, Pendulum};

fn iteration(c: &mut Criterion) {
    metablend_agents::set_candle_threads(1);
    let mut g = c.benchmark_group("ppo_iteration");
    g.sample_size(10);
    g.bench_function(
        "CartPole-v1 zoo (256 steps, 20 epochs x 1 minibatch)",
        |b| {
            let cfg = PpoConfig::cartpole_zoo();
            let rollout = cfg.rollout_size() as u64;
            let mut ppo = Ppo::new(cfg, |_| Ok(CartPole::v1())).unwrap();
            let mut total = 0;
            b.iter(|| {
                total += rollout;
                ppo.learn(total, &mut []).unwrap()
            });
        },
    );
    g.bench_function(
        "Pendulum-v1 zoo (4096 steps, 10 epochs x 64 minibatches)",
        |b| {
            let cfg = PpoConfig::pendulum_zoo();
            let rollout = cfg.rollout_size() as u64;
            let mut ppo = Ppo::new(cfg, |_| Ok(Pendulum::v1())).unwrap();
            let mut total = 0;
            b.iter(|| {
                total += rollout;
                ppo.learn(total, &mut []).unwrap()
            });
        },
    );
    g.finish();
}

criterion_group!(benches, iteration);
