//! Integration tests of soc-store: one binary, one module per concern.

// clippy.toml allows unwrap inside #[test] functions only; the shared helpers here are test code too.
#![allow(clippy::unwrap_used)]

mod common;
mod concurrency;
mod corruption;
mod crash;
mod format1;
mod import;
mod migrate;
mod names;
mod playbooks;
mod prune;
mod report;
mod snapshots;
mod tags;
mod view;
