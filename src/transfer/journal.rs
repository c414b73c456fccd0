//! The journal of an import, next to its file (`<file>.journal`): which file, the block of
//! ids given to its rows without one, and how many rows are written. `--resume` continues
//! from it with the same ids; a finished journal stops the same file being imported twice.

use super::TransferError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// `customers` or `services`.
    pub kind: String,
    /// SHA-256 of the file's bytes: a resume must read the same file.
    pub file_sha256: String,
    /// The first id of the block given, in file order, to the rows without an id.
    pub first_id: u64,
    pub block: u64,
    /// Data rows (in file order) handled: written, or refused with `--skip-invalid`.
    pub rows_done: u64,
    pub done: bool,
}

impl Journal {
    pub fn path_for(file: &Path) -> PathBuf {
        let mut name = file.as_os_str().to_owned();
        name.push(".journal");
        PathBuf::from(name)
    }

    pub fn load(path: &Path) -> Result<Option<Self>, TransferError> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| TransferError::Journal(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(TransferError::Journal(format!("{}: {e}", path.display()))),
        }
    }

    /// Writes the journal whole or not at all (a new file renamed over the old one).
    pub fn save(&self, path: &Path) -> Result<(), TransferError> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| TransferError::Journal(e.to_string()))?;
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }
}

/// The SHA-256 of a file, read in pieces.
pub fn file_digest(path: &Path) -> Result<String, TransferError> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match file.read(&mut buf)? {
            0 => return Ok(hex::encode(hasher.finalize())),
            n => hasher.update(&buf[..n]),
        }
    }
}
