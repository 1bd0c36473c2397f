//! SHA-256 digests of saved files and of data sets, as lowercase hex: a checkpoint records
//! its tensors' digests and verifies them on load (a flipped bit that leaves values finite
//! is otherwise invisible), and a run records its data's digest so a resume on other data is
//! refused.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// The SHA-256 of `bytes`, as hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The SHA-256 of a file's content, as hex.
pub fn file_sha256(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    Ok(sha256_hex(&bytes))
}

/// Checks a file against the digest recorded for it.
pub fn verify_file(path: &Path, expected: &str) -> Result<()> {
    let actual = file_sha256(path)?;
    if actual != expected {
        return Err(Error::Damaged {
            path: path.display().to_string(),
            message: format!(
                "damaged: content does not match its recorded SHA-256 (expected {expected}, found {actual})"
            ),
        });
    }
    Ok(())
}

/// An incremental digest of numbers and texts (a data set's fingerprint).
#[derive(Debug, Clone, Default)]
pub struct Fingerprint(Sha256);

impl Fingerprint {
    /// An empty fingerprint.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds numbers (their exact bits, in order).
    pub fn numbers(&mut self, values: &[f64]) -> &mut Self {
        self.0.update((values.len() as u64).to_le_bytes());
        for v in values {
            self.0.update(v.to_bits().to_le_bytes());
        }
        self
    }

    /// Adds a text.
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.0.update((text.len() as u64).to_le_bytes());
        self.0.update(text.as_bytes());
        self
    }

    /// The digest, as hex.
    pub fn finish(&self) -> String {
        hex(&self.0.clone().finalize())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_the_standard_ones_and_detect_a_flipped_bit() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let a = Fingerprint::new().numbers(&[1.0, 2.0]).text("x").finish();
        let b = Fingerprint::new()
            .numbers(&[1.0, 2.0 + 1e-15])
            .text("x")
            .finish();
        assert_ne!(a, b);
        let path = std::env::temp_dir().join(format!("mb-sum-{}", std::process::id()));
        std::fs::write(&path, [1u8, 2, 3]).unwrap();
        let digest = file_sha256(&path).unwrap();
        verify_file(&path, &digest).unwrap();
        std::fs::write(&path, [1u8, 2, 7]).unwrap();
        let err = verify_file(&path, &digest).unwrap_err().to_string();
        assert!(err.contains("does not match"), "{err}");
    }
}
