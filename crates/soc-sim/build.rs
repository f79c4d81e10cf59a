//! Rebuilds the crate when the bundled fixtures change: `include_dir!` does not tell cargo which
//! files it embedded, so a rerun of scripts/make-fixtures.py would otherwise leave stale data in
//! the binary.

#[allow(clippy::print_stdout)] // Cargo reads build-script instructions from stdout.
fn main() {
    println!("cargo::rerun-if-changed=../../testdata/workspaces");
}
