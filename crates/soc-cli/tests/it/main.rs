//! CLI integration tests: the built `socdrift` binary, run in a temp folder with a clean
//! environment and `NO_COLOR=1`; exit code, stdout and stderr are snapshotted together.

mod basics;

mod support;
