//! A user-defined environment: implement `Env` (spaces, `reset`, `step`), check it with
//! `check_env`, train PPO on it and evaluate the policy — nothing in metablend is specific to
//! the built-in envs.
//!
//! The task: steer a point on a line to a goal drawn at each reset; actions are a push in
//! [−1, 1]; the reward is minus the distance left. `cargo run --release --example custom_env`.

use metablend::agents::ppo::{Ppo, PpoConfig};
use metablend::env::{check_env, evaluate_policy, BoxSpace, Env, Info, Space, Step};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The point-to-goal env.
struct Reach {
    obs_space: BoxSpace,
    act_space: BoxSpace,
    rng: ChaCha12Rng,
    position: f64,
    goal: f64,
    steps: usize,
    done: bool,
}

impl Reach {
    fn new() -> metablend::env::Result<Self> {
        Ok(Self {
            obs_space: BoxSpace::new(vec![-10.0; 2], vec![10.0; 2])?,
            act_space: BoxSpace::new(vec![-1.0], vec![1.0])?,
            rng: ChaCha12Rng::seed_from_u64(0),
            position: 0.0,
            goal: 0.0,
            steps: 0,
            done: true,
        })
    }

    fn obs(&self) -> Vec<f64> {
        vec![self.position, self.goal]
    }
}

impl Env for Reach {
    type Obs = Vec<f64>;
    type Act = Vec<f64>;
    type ObsSpace = BoxSpace;
    type ActSpace = BoxSpace;

    fn observation_space(&self) -> &BoxSpace {
        &self.obs_space
    }

    fn action_space(&self) -> &BoxSpace {
        &self.act_space
    }

    fn reset(&mut self, seed: Option<u64>) -> metablend::env::Result<(Vec<f64>, Info)> {
        if let Some(seed) = seed {
            self.rng = ChaCha12Rng::seed_from_u64(seed);
        }
        self.position = 0.0;
        self.goal = self.rng.random_range(-5.0..5.0);
        self.steps = 0;
        self.done = false;
        Ok((self.obs(), Info::default()))
    }

    fn step(&mut self, action: &Vec<f64>) -> metablend::env::Result<Step<Vec<f64>>> {
        if self.done {
            return Err(metablend::env::Error::StepAfterDone);
        }
        self.act_space.validate(action)?;
        self.position = (self.position + action[0].clamp(-1.0, 1.0)).clamp(-10.0, 10.0);
        self.steps += 1;
        let truncated = self.steps >= 30;
        self.done = truncated;
        Ok(Step {
            obs: self.obs(),
            reward: -(self.position - self.goal).abs(),
            terminated: false,
            truncated,
            info: Info::default(),
        })
    }
}

fn run(steps: u64) -> anyhow::Result<f64> {
    metablend::agents::set_candle_threads(1);
    let mut env = Reach::new()?;
    check_env(&mut env, 0, 200)?;
    let cfg = PpoConfig {
        n_envs: 4,
        n_steps: 256,
        batch_size: 64,
        n_epochs: 10,
        gamma: 0.9,
        ..PpoConfig::default()
    };
    let mut ppo = Ppo::new(cfg, |_| Reach::new())?;
    ppo.learn(steps, &mut [])?;
    let mut policy = ppo.policy()?;
    let result = evaluate_policy(&mut env, &mut policy, 20, true, Some(123))?;
    let mean = result.mean_return();
    println!("mean return over 20 episodes: {mean:.2} (doing nothing scores about -75)");
    Ok(mean)
}

fn main() -> anyhow::Result<()> {
    let steps = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(50_000);
    run(steps)?;
    Ok(())
}

#[test]
fn example_runs() {
    assert!(run(2048).unwrap().is_finite());
}
