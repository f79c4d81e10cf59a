//! Integration tests of soc-diff (one test binary, one module per area).

// Test helpers outside `#[test]` functions unwrap too; clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used)]

mod decode;
mod diff;
mod normalize;
mod playbooks;
mod props;
mod redaction;
mod render;
mod review;
mod schema;
mod threeway;
