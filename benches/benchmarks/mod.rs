//! Benchmark groups, one file each.

pub mod combine;
pub mod env;
pub mod forecast;
pub mod ppo;
