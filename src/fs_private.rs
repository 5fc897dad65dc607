//! Files only the service account may read: the database holds password hashes and
//! session secrets, so what Baton creates is 0700 (directories) and 0600 (files),
//! whatever the umask.

use std::io;
use std::path::Path;

/// Creates `dir` and any missing parents with mode 0700. An existing directory is
/// left as the operator made it (a systemd `StateDirectory`, a Docker volume).
pub fn create_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Makes every file under `dir` (the database's own files) readable by the owner only,
/// and every directory 0700. The storage engine creates its files with the process umask.
pub fn restrict_tree(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            let mode = if kind.is_dir() {
                restrict_tree(&entry.path())?;
                0o700
            } else if kind.is_file() {
                0o600
            } else {
                continue;
            };
            std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(mode))?;
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    // A helper, not a #[test] fn, so clippy's allow-unwrap-in-tests does not cover it.
    #[allow(clippy::unwrap_used)]
    fn mode(p: &std::path::Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn created_directories_and_restricted_files_are_private() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("a/b");
        super::create_dir(&d).unwrap();
        assert_eq!(mode(&d), 0o700);
        assert_eq!(mode(&t.path().join("a")), 0o700);
        let f = d.join("db");
        std::fs::write(&f, b"x").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        super::restrict_tree(&d).unwrap();
        assert_eq!(mode(&f), 0o600);
    }

    #[test]
    fn an_existing_directory_keeps_its_mode() {
        let t = tempfile::tempdir().unwrap();
        std::fs::set_permissions(t.path(), std::fs::Permissions::from_mode(0o750)).unwrap();
        super::create_dir(t.path()).unwrap();
        assert_eq!(mode(t.path()), 0o750);
    }
}
