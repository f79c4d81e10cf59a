//! CLI integration tests: the built `socdrift` binary, run in a temp folder with a clean
//! environment and `NO_COLOR=1`; exit code, stdout and stderr are snapshotted together.
// Test helpers outside #[test] functions panic on purpose when the test setup fails.
#![allow(clippy::unwrap_used)]

mod architecture;
mod basics;
mod config;
mod git;
mod hostile;
mod limits;
mod live;
mod local;
mod packs;
mod playbooks;
mod reports;
mod review;
mod secrets;
mod sim;
mod sources;
mod store;
mod support;
