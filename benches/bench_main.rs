//! metablend's criterion benchmarks: `cargo bench --bench bench_main [-- FILTER]`.

mod benchmarks;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

criterion::criterion_main! {
    benchmarks::combine::benches,
    benchmarks::env::benches,
    benchmarks::forecast::benches,
    benchmarks::ppo::benches,
}
