//! The domain: organisations, periods, indicators, plans and reports, and the rules that hold them
//! together. Pure logic: nothing here knows about gRPC or the database.

pub mod access;
pub mod agency_plan;
pub mod assessment;
pub mod canonical;
pub mod catalog;
pub mod evaluation;
pub mod formats;
pub mod indicator;
pub mod limits;
pub mod maturity;
pub mod maturity_results;
pub mod naming;
pub mod organization;
pub mod period;
pub mod plan;
pub mod plausibility;
pub mod projection;
pub mod province_report;
pub mod ratio;
pub mod report;
pub mod scope;
pub mod status;
pub mod stored_forms;
pub mod submission;
pub mod summary;
pub mod task;
pub mod task_follow_up;
pub mod violation;

pub use catalog::Catalog;
pub use violation::{FieldViolation, Violations};
