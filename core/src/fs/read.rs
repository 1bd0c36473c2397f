//! Opening a user's input file, compressed or not.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// Opens a file for reading, decompressing it when it is gzip'd (recognised by its magic
/// bytes, not its name), so `data.csv.gz` and a gzip'd `data.csv` both read as text.
pub fn open_maybe_gzip(path: &Path) -> std::io::Result<Box<dyn Read>> {
    let mut reader = BufReader::new(std::fs::File::open(path)?);
    let gzip = reader.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(reader))
    } else {
        Box::new(reader)
    })
}
