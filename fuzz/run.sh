#!/usr/bin/env bash
# Fuzzes every parser of a user's file for SECONDS (default 60) each, with libFuzzer through
# `cargo fuzz` (needs a nightly toolchain and `cargo install cargo-fuzz`). Seeds come from
# the test data; crashes land in fuzz/artifacts/<target>/ and fail the script.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${SECONDS_PER_TARGET:-${1:-60}}"
seed() {
    local target="$1"
    shift
    mkdir -p "corpus/$target"
    for f in "$@"; do
        [ -f "$f" ] && cp -n "$f" "corpus/$target/" || true
    done
}
seed series_csv ../data/sp500_close.csv
printf 't,value\n0,1\n1,\n2,3\n' > corpus/series_csv/gap.csv
printf 'series,t,value\na,0,1\na,1,2\nb,0,5\n' > corpus/series_csv/panel.csv
seed predictions_csv ../tests/data/checkpoints/ppo_v1/preds.csv
printf 'date,target,a,b\n2024-01-01,1,1.5,0.5\n2024-01-02,2,2.5,1\n' > corpus/predictions_csv/dates.csv
printf 'series,t,target,a\nx,0,1,1\nx,1,2,2\ny,0,3,3\n' > corpus/predictions_csv/panel.csv
seed config_toml ../tests/data/checkpoints/ppo_v1/tiny.toml
seed checkpoint_state ../tests/data/checkpoints/ppo_v1/run/best_model/state.json
mkdir -p corpus/ope_jsonl
cat > corpus/ope_jsonl/two.jsonl <<'LOG'
{"episode":0,"t":0,"obs":[0.5,-1.0],"action":[0.2,0.8],"reward":-0.1,"terminated":false,"truncated":false,"behavior_log_prob":-1.3}
{"episode":0,"t":1,"obs":[0.4,-0.9],"action":[0.3,0.7],"reward":-0.2,"terminated":false,"truncated":true,"behavior_log_prob":-1.1}
{"episode":1,"t":0,"obs":[0.1,0.0],"action":1,"reward":1.0,"terminated":true,"truncated":false,"behavior_log_prob":-0.7}
LOG
for target in series_csv predictions_csv config_toml checkpoint_state ope_jsonl; do
    echo "== $target ($seconds s)"
    cargo +nightly fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096
done
