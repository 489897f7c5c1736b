//! The gRPC services: each turns wire messages into domain values, calls the domain and the store,
//! and maps every failure to a gRPC status in one place (`error`).

pub mod access;
mod agency_plan;
mod catalog;
pub mod codec;
pub mod convert;
mod draining;
mod error;
mod feed;
mod maturity;
mod names;
mod pagination;
mod province_report;
mod review;
mod submission;
mod summary;
mod task;

pub use agency_plan::AgencyPlanApi;
pub use catalog::CatalogApi;
pub use draining::Draining;
pub use error::{ApiError, ERROR_DOMAIN};
pub use feed::FeedWatcher;
pub use maturity::MaturityApi;
pub use pagination::PageTokens;
pub use province_report::ProvinceReportApi;
pub use review::ReviewApi;
pub use submission::SubmissionApi;
pub use summary::SummaryApi;
pub use task::TaskApi;
