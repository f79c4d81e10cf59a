//! Integration tests of soc-normalize (one test binary, one module per area).

// Test helpers outside `#[test]` functions unwrap too; clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used)]

mod decode;
mod normalize;
