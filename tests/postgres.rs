//! The behavioural suite on PostgreSQL (`cargo test --features postgres-tests --test postgres`).
//! It needs the server at PRESSDX_TEST_POSTGRES_URL (default
//! postgres://postgres@127.0.0.1:5432/postgres) and fails, never skips, without it.

// Tests may panic on what cannot happen; the server code may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod suite;

/// The backend every test of `suite` runs on in this binary.
const BACKEND: common::Backend = common::Backend::Postgres;
