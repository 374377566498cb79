//! External programs some tests need (a validator, a browser, a server):
//! found on `PATH`, or the test is skipped, loudly. With
//! `RBAC_REQUIRE_TOOLS=1` (which `.ci/run` sets) a missing one fails the
//! test instead, so CI never skips.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The variable that turns a missing tool into a failure.
pub const REQUIRE_TOOLS: &str = "RBAC_REQUIRE_TOOLS";

/// The first of `names` found on `PATH`. When none is: panics if
/// [`REQUIRE_TOOLS`] is set, and otherwise prints that `test` is skipped,
/// why, and how to install the tool (`install`), then returns `None`.
///
/// The notice is written to the process's standard error directly, past
/// the test harness's capture, so that it shows in `cargo test`'s output
/// although the test passes.
pub fn require_tool(test: &str, names: &[&str], install: &str) -> Option<PathBuf> {
    if let Some(found) = names.iter().find_map(|name| on_path(name)) {
        return Some(found);
    }
    let missing = names.join(" or ");
    let required = std::env::var(REQUIRE_TOOLS).is_ok_and(|value| {
        !matches!(value.trim().to_ascii_lowercase().as_str(), "" | "0" | "false" | "no" | "off")
    });
    if required {
        panic!(
            "{test}: `{missing}` is not installed and {REQUIRE_TOOLS} is set; install it: {install}"
        );
    }
    let notice = format!(
        "\n*** SKIPPED {test}: `{missing}` is not installed ({install}); set {REQUIRE_TOOLS}=1 \
         to make this a failure ***\n"
    );
    let _ = std::io::stderr().lock().write_all(notice.as_bytes());
    None
}

/// `name` as found on `PATH`, if it is there and executable.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata().is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}
