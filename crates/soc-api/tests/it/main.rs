//! Integration tests: the client against soc-sim over real HTTP on loopback.

mod auth;
mod common;
mod export;
mod faults;
mod ops;
mod playbooks;
mod sources;
mod tls;
