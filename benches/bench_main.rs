//! metablend's criterion benchmarks: `cargo bench --bench bench_main [-- FILTER]`.

mod benchmarks;

criterion::criterion_main! {
    benchmarks::env::benches,
}
