//! The behavioural suite: every test talks to a real server over gRPC, and the whole suite runs
//! once per storage backend (`tests/sqlite.rs`, `tests/postgres.rs`).
//!
//! A test registers itself: it is a plain `#[tokio::test(flavor = "multi_thread", worker_threads
//! = 2)]` in one of these modules, and reads its backend from `crate::BACKEND`, the constant each
//! of the two test binaries defines. Both binaries compile this folder, so one function is one
//! test on SQLite and one on PostgreSQL, with nothing to list by hand. Plain libtest tests rather
//! than rstest cases or a `harness = false` runner: no dependency and no macro of our own, every
//! test keeps its own runtime (from `tokio::test`) and its own fresh database (`TestApp::spawn`),
//! and `cargo test` and cargo-nextest list, filter and run them by name
//! (`suite::summary::changes::the_change_feed_lists_every_submission_once`).

pub mod access;
pub mod agency_plan;
pub mod assessment;
pub mod catalog;
pub mod cli;
pub mod contract;
pub mod cycle;
pub mod fixtures;
pub mod inputs;
pub mod limits;
pub mod maturity_results;
pub mod operators;
pub mod readme;
pub mod recomputation;
pub mod review;
pub mod submission;
pub mod summary;
pub mod tasks;
pub mod upgrade;
pub mod web;
pub mod words;
