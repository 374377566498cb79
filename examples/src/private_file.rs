//! Files only the service's own user may read: the data directory (0700),
//! the signing key and any generated private key (0600). A file is written
//! under a temporary name and linked into place, so a crash never leaves a
//! half-written key and two processes starting at once agree on one.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};

/// Creates `dir` (and its parents) readable by the owner only, if it does
/// not exist yet. An existing directory is left as it is.
pub(crate) fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(0o700);
    builder.create(dir)
}

/// Writes `contents` to the new file `path`, readable by the owner only.
/// Returns `Ok(false)` without writing when `path` already exists.
pub(crate) fn create_new(path: &Path, contents: &[u8]) -> io::Result<bool> {
    let temporary = temporary_name(path);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let result = (|| {
        let mut file = options.open(&temporary)?;
        file.write_all(contents)?;
        file.sync_all()?;
        // A hard link fails when `path` exists: never overwrite a key that
        // another process has just written.
        match fs::hard_link(&temporary, path) {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(error) => Err(error),
        }
    })();
    let _ = fs::remove_file(&temporary);
    result
}

/// Reads a file that must not be readable by group or others: a key that
/// others could read is not a secret any more, so refuse to use it.
pub(crate) fn read(path: &Path) -> io::Result<Vec<u8>> {
    let file = File::open(path)?;
    #[cfg(unix)]
    {
        let mode = file.metadata()?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{} is accessible to other users (mode {:o}); run `chmod 600` on it",
                    path.display(),
                    mode & 0o777
                ),
            ));
        }
    }
    let mut contents = Vec::new();
    io::Read::read_to_end(&mut &file, &mut contents)?;
    Ok(contents)
}

fn temporary_name(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".tmp-{}", std::process::id()));
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_is_owner_only_and_never_overwritten() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("key");
        assert!(create_new(&path, b"first").expect("created"));
        assert!(!create_new(&path, b"second").expect("left alone"));
        assert_eq!(read(&path).expect("readable"), b"first");
        #[cfg(unix)]
        assert_eq!(fs::metadata(&path).expect("exists").permissions().mode() & 0o777, 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_read_is_refused() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("key");
        assert!(create_new(&path, b"secret").expect("created"));
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        let error = read(&path).expect_err("world-readable key");
        assert_eq!(error.kind(), io::ErrorKind::PermissionDenied);
    }
}
