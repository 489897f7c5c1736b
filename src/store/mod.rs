//! Storage: the database (an embedded SQLite file, or PostgreSQL shared by several pressdx
//! processes), its migrations, and the repository the services call. Every write is one
//! transaction.

mod agency_plans;
mod audit_chain;
mod audit_verify;
mod availability;
mod catalog;
mod commits;
mod credentials;
mod database;
mod entities;
mod error;
mod feed;
mod migration;
mod open;
mod province_reports;
mod reopenings;
mod reviews;
mod revisions;
mod self_assessments;
mod submissions;
mod summaries;
mod task_progress;
mod values;

pub use agency_plans::{
    AgencyPlanHistory, AgencyPlanState, PlanDecided, StoredAgencyPlan, StoredPlanDecision,
};
pub use audit_verify::{AuditProblem, AuditVerification};
pub use availability::{HEARTBEAT_INTERVAL, HEARTBEAT_TIMEOUT};
pub use catalog::{CatalogImport, ImportCounts};
pub use commits::Commits;
pub use credentials::{Credential, TOKEN_PREFIX, new_token, secret_sha256};
pub use database::{DEFAULT_DATABASE_URL, Store, describe_database, redact_password};
pub use error::StoreError;
pub use feed::{Change, Counters};
pub use province_reports::{
    ProvinceReportState, ProvinceReportSubmit, StoredProvinceReport, province_report_hash,
};
pub use reopenings::Reopening;
pub use reviews::Reviewed;
pub use revisions::Revised;
pub use self_assessments::{Appraised, MaturityAppraisal, StoredSelfAssessment};
pub use submissions::{MAX_PAGE_SIZE, PlanBatch, SubmissionPage, SubmitPlan};
pub use task_progress::StoredTaskProgress;
pub use values::agency_plans::{NewAgencyPlan, NewPlanDecision, PlanDecision, PlanReason};
pub use values::catalog::CatalogSource;
pub use values::credentials::{CredentialKind, NewCredential};
pub use values::province_reports::{ProvinceReportDraft, ProvinceReportFilter};
pub use values::reopenings::NewReopening;
pub use values::reviews::{NewReview, Review, ReviewDecision, ReviewReason, ReviewState};
pub use values::self_assessments::{NewAppraisal, NewSelfAssessment};
pub use values::submissions::{HeldForBatch, ListSubmissionsQuery, StoredSubmission};
pub use values::task_progress::NewTaskProgress;
