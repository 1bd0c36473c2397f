//! How metablend writes files: one atomic writer for files and folders ([`write_file`],
//! [`write_folder`]), checks on output paths made before any work ([`check_output_file`],
//! [`check_output_folder`]), one writer per run folder ([`FolderLock`]) and digests that
//! detect damaged or different data ([`checksum`]).

mod atomic;
pub mod checksum;
mod lock;
mod output;
mod read;

pub use atomic::{recover_folder, write_file, write_folder, write_text};
pub use lock::{FolderLock, LOCK_FILE};
pub use output::{
    check_output_file, check_output_folder, check_output_path, read_marker, resolve,
    write_output_folder, OutputMarker, MARKER,
};
pub use read::open_maybe_gzip;
