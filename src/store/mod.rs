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

pub use agency_plans::{
    AgencyPlanHistory, AgencyPlanState, NewAgencyPlan, NewPlanDecision, PlanDecided, PlanDecision,
    PlanReason, StoredAgencyPlan, StoredPlanDecision,
};
pub use audit_verify::{AuditProblem, AuditVerification};
pub use availability::{HEARTBEAT_INTERVAL, HEARTBEAT_TIMEOUT};
pub use catalog::{CatalogImport, CatalogSource, ImportCounts};
pub use commits::Commits;
pub use credentials::{
    Credential, CredentialKind, NewCredential, TOKEN_PREFIX, new_token, secret_sha256,
};
pub use database::{DEFAULT_DATABASE_URL, Store, describe_database, redact_password};
pub use error::StoreError;
pub use feed::{Change, Counters};
pub use province_reports::{
    ProvinceReportDraft, ProvinceReportFilter, ProvinceReportState, ProvinceReportSubmit,
    StoredProvinceReport, province_report_hash,
};
pub use reopenings::{NewReopening, Reopening};
pub use reviews::{NewReview, Review, ReviewDecision, ReviewReason, ReviewState, Reviewed};
pub use revisions::Revised;
pub use self_assessments::{
    Appraised, MaturityAppraisal, NewAppraisal, NewSelfAssessment, StoredSelfAssessment,
};
pub use submissions::{
    HeldForBatch, ListSubmissionsQuery, MAX_PAGE_SIZE, PlanBatch, StoredSubmission, SubmissionPage,
    SubmitPlan,
};
pub use task_progress::{NewTaskProgress, StoredTaskProgress};
