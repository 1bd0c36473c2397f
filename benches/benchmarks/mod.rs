//! Benchmark groups, one file each.

pub mod env;
pub mod ppo;
