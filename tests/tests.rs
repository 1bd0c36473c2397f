//! metablend's cross-crate test binary (one binary, as ripgrep does): each module is one area.

mod gymnasium_golden;
mod util;
