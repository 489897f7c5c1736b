//! The behavioural suite on SQLite, the embedded default.

// Tests may panic on what cannot happen; the server code may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod suite;

use common::Backend;

behavioural_suite!(Backend::Sqlite);
