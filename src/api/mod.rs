//! The gRPC face: each service turns wire messages into domain values, calls the application
//! (`app`), and turns its answers back into messages; every failure becomes a gRPC status in one
//! place (`error`). Nothing here reaches the store.

pub mod access;
mod agency_plan;
mod catalog;
pub mod codec;
pub mod convert;
mod draining;
mod error;
mod maturity;
mod province_report;
mod review;
mod submission;
mod summary;
mod task;

pub use agency_plan::AgencyPlanApi;
pub use catalog::CatalogApi;
pub use draining::Draining;
pub use error::ERROR_DOMAIN;
pub use maturity::MaturityApi;
pub use province_report::ProvinceReportApi;
pub use review::ReviewApi;
pub use submission::SubmissionApi;
pub use summary::SummaryApi;
pub use task::TaskApi;
