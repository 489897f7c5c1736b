//! The behavioural suite on SQLite, the embedded default.

// Tests may panic on what cannot happen; the server code may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod suite;

/// The backend every test of `suite` runs on in this binary.
const BACKEND: common::Backend = common::Backend::Sqlite;
