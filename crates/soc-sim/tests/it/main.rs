//! Integration tests: soc-sim over real HTTP on loopback, driven by reqwest and a test signer.

// Helpers outside #[test] functions unwrap too; a panic is the right failure in a test binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod faults;
mod iam;
mod lifecycle;
mod playbooks;
mod secmaster;
mod support;
