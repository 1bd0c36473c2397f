//! Refusing work that cannot fit in memory, with a clear error instead of an allocation
//! failure that aborts the process.

use crate::{Error, Result};

/// Memory the machine can still give, in bytes (`MemAvailable` on Linux); `None` where it
/// is unknown.
pub fn available_memory() -> Option<u128> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u128 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Checks that `count` items of `item_bytes` each can be held: fails with an error naming
/// `what` when they would need more than the memory available (or overflow the address
/// space), so a typo such as `--episodes 1e10` is an error, not an abort.
pub fn check_fits(what: &str, count: u128, item_bytes: u128) -> Result<()> {
    let needed = count.saturating_mul(item_bytes);
    let limit = available_memory().unwrap_or(isize::MAX as u128);
    if needed > limit.min(isize::MAX as u128) {
        return Err(Error::InvalidInput(format!(
            "{what}: {count} would need about {} of memory, more than the {} available",
            human(needed),
            human(limit)
        )));
    }
    Ok(())
}

fn human(bytes: u128) -> String {
    let gib = bytes as f64 / (1u64 << 30) as f64;
    if gib >= 1.0 {
        format!("{gib:.1} GiB")
    } else {
        format!("{:.1} MiB", bytes as f64 / (1u64 << 20) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_sizes_are_errors_and_small_ones_pass() {
        check_fits("episodes", 1000, 1024).unwrap();
        let err = check_fits("episodes", 10_000_000_000, 1 << 20)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("episodes") && err.contains("available"),
            "{err}"
        );
        assert!(check_fits("x", u128::MAX, 8).is_err());
    }
}
