//! The application layer: every workflow and every piece of state pressdx keeps between
//! requests, behind one [`App`] that every face (the gRPC services of `api`, the CLI, and the
//! faces to come) calls. A face turns its wire format into domain values and back, and maps
//! [`AppError`] to its own codes; it never reaches the store.
//!
//! Access is by capability: a function that reads or changes what only some principals may
//! touch takes a value of `access` that only the check of that rule can make, so a caller that
//! skips the check does not compile. Authentication makes the [`Caller`] that every capability
//! starts from.

pub mod access;
pub mod admin;
pub mod agency_plans;
mod authentication;
mod blocking;
pub mod catalog;
mod error;
mod feed;
pub mod figures;
mod figures_cache;
pub mod maturity;
pub mod names;
pub mod pagination;
pub mod province_reports;
mod read_model;
pub mod reviews;
mod state;
pub mod submissions;
pub mod tasks;
mod writer;

pub use authentication::{Access, AuthenticationSettings, Authenticator, Caller, Presented};
pub use blocking::off_the_workers;
pub use error::AppError;
pub use feed::FeedWatcher;
pub use pagination::PageTokens;
pub use read_model::{ReadModel, ReadView};
pub use state::{App, Background};
