//! The tables, as sea-orm entities. Vocabulary words (kinds, types) are stored as the words the
//! catalogue file uses; dates as dates; instants as UTC timestamps; a report as its canonical JSON.

pub mod organization {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "organization")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub kind: String,
        pub valid_from: Option<Date>,
        pub valid_until: Option<Date>,
        pub illustrative: bool,
        pub note: String,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod organization_version {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "organization_version")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub organization_code: String,
        pub valid_from: Option<Date>,
        pub valid_until: Option<Date>,
        pub name: String,
        pub province_code: Option<String>,
        pub governing_body_code: Option<String>,
        pub agency_type: Option<String>,
        pub publishes_electronic_press: bool,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod organization_link {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "organization_link")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub predecessor_code: String,
        pub successor_code: String,
        pub effective_on: Date,
        pub kind: String,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod indicator {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "indicator")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        /// The order indicators are listed in: the catalogue file's.
        pub position: i32,
        pub name: String,
        pub description: String,
        pub indicator_type: String,
        pub unit: String,
        pub min_value: Option<i64>,
        pub max_value: Option<i64>,
        pub required: bool,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod plan {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plan")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub name: String,
        pub decision: String,
        pub issued_on: Option<Date>,
        pub province_code: Option<String>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod target {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "target")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub plan_code: String,
        pub code: String,
        pub position: i32,
        pub name: String,
        /// The target's rule (`domain::plan::TargetRule`) as JSON.
        pub rule: String,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod milestone {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "milestone")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub plan_code: String,
        pub target_code: String,
        pub year: i32,
        pub required_share_bp: i32,
        pub parameter_bp: Option<i32>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod period {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "period")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub year: i32,
        pub window_start: Date,
        pub window_end: Date,
        pub deadline: DateTimeUtc,
        /// After this instant agencies can no longer submit; `None`: never.
        pub closes_at: Option<DateTimeUtc>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod submission {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "submission")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub request_id: String,
        pub agency_code: String,
        pub period_code: String,
        pub revision: i32,
        pub received_at: DateTimeUtc,
        pub late: bool,
        pub content_hash: String,
        /// The report (`domain::report::AnnualReport`) as canonical JSON.
        pub report: String,
        /// Its place in the change feed: positions are handed out in commit order, without gaps.
        #[sea_orm(unique)]
        pub feed_position: i64,
        /// Who entered it for the agency (a province, the Ministry); `None` when the agency did.
        pub entered_by: Option<String>,
        /// `received_at` is the original receipt time `entered_by` asserted.
        pub received_at_asserted: bool,
        /// The plausibility warnings it was accepted with (`domain::plausibility::Warning`), as
        /// a JSON array; `[]` for none.
        pub warnings: String,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod latest_submission {
    //! One row per agency and period that has reported: its latest revision. Allocating a revision
    //! is an upsert on this row, which also serialises concurrent submits for the same report.
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "latest_submission")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub agency_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub period_code: String,
        pub revision: i32,
        pub submission_id: i64,
        /// When the first revision arrived, and whether that was after the deadline: a report
        /// sent on time and corrected later was still sent on time.
        pub first_received_at: DateTimeUtc,
        pub first_late: bool,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod credential {
    //! A bearer token or client certificate, by the SHA-256 of its secret, with the role and
    //! organisation it acts as.
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "credential")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// "token" or "certificate".
        pub kind: String,
        #[sea_orm(unique)]
        pub secret_sha256: String,
        pub role: String,
        pub organization_code: Option<String>,
        pub label: String,
        pub created_at: DateTimeUtc,
        pub expires_at: Option<DateTimeUtc>,
        pub revoked_at: Option<DateTimeUtc>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audit_entry {
    //! One entry of the audit log; `entry_hash` covers every other field and the previous entry's
    //! hash.
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_entry")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i64,
        pub recorded_at: String,
        pub principal: String,
        pub action: String,
        pub subject: String,
        pub request_id: String,
        pub content_hash: String,
        pub previous_hash: String,
        pub entry_hash: String,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod catalog_state {
    //! The catalogue's state in canonical JSON as a catalogue entry of the audit log recorded it
    //! (under that entry's number), for `audit verify` to name whatever changed since.
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "catalog_state")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i64,
        pub state: String,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod withdrawn_organization {
    //! An organisation taken out of the catalogue (domain::catalog::Withdrawal): why, when, and
    //! its entry as it was, in canonical JSON.
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "withdrawn_organization")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub note: String,
        pub withdrawn_at: DateTimeUtc,
        pub entry: String,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod period_reopening {
    //! A closed period reopened for one agency until an instant, by its province, with why. The
    //! latest reopening of an agency and period is the one in force.
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "period_reopening")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub agency_code: String,
        pub period_code: String,
        pub until: DateTimeUtc,
        pub reason: String,
        pub reopened_by: String,
        pub reopened_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod review {
    //! A province's decision on one submission; the latest review of a submission is the one in
    //! force, and the earlier ones are kept.
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "review")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub submission_id: i64,
        pub agency_code: String,
        pub period_code: String,
        pub revision: i32,
        /// "accept" or "return".
        pub decision: String,
        /// The reasons, as JSON: `[{"field": ..., "reason": ...}]`.
        pub reasons: String,
        pub reviewed_by: String,
        pub reviewed_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod plausibility_rule {
    //! A plausibility rule of the catalogue (domain::plausibility::PlausibilityRule), as JSON.
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plausibility_rule")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub position: i32,
        pub rule: String,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod maturity_framework {
    //! A version of the maturity index (domain::maturity::Framework), as JSON: one row per
    //! framework, read and written whole, since nothing queries inside one.
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "maturity_framework")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub position: i32,
        pub framework: String,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod province_report {
    //! One version of a province's yearly report to the Ministry: a draft until it is submitted,
    //! then never changed again. `content` is the protobuf encoding of
    //! pressdx.v1.ProvinceReportContent, kept as the bytes that were hashed and signed.
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "province_report")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub province_code: String,
        pub plan_code: String,
        pub period_code: String,
        pub version: i32,
        /// "draft" or "submitted".
        pub state: String,
        pub correction_reason: String,
        pub content: Vec<u8>,
        /// "sha256:" and the hex SHA-256 of `content`.
        pub content_hash: String,
        pub data_as_of: i64,
        pub created_by: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub submitted_by: Option<String>,
        pub submitted_at: Option<DateTimeUtc>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod self_assessment {
    //! One revision of an agency's maturity self-assessment for a period. `content` is the
    //! protobuf encoding of what it answered (pressdx.v1.SubmitSelfAssessmentRequest, in
    //! criterion order), kept as the bytes the audit log recorded.
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "self_assessment")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub agency_code: String,
        pub period_code: String,
        pub framework_code: String,
        pub revision: i32,
        pub request_id: String,
        pub content: Vec<u8>,
        pub content_hash: String,
        pub received_at: DateTimeUtc,
        pub submitted_by: String,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod maturity_appraisal {
    //! The points a province or the Ministry gives one criterion of one self-assessment revision;
    //! the latest of a revision and criterion is in force, the earlier ones are kept.
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "maturity_appraisal")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub self_assessment_id: i64,
        pub criterion_code: String,
        pub points_hundredths: i32,
        pub reason: String,
        pub appraised_by: String,
        pub appraised_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod agency_plan {
    //! One revision of an agency's own plan under a plan of the catalogue. `content` is the
    //! protobuf encoding of what it says (pressdx.v1.SubmitAgencyPlanRequest, in canonical
    //! order), kept as the bytes the audit log recorded.
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "agency_plan")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub agency_code: String,
        pub plan_code: String,
        pub revision: i32,
        pub request_id: String,
        pub content: Vec<u8>,
        pub content_hash: String,
        pub received_at: DateTimeUtc,
        pub submitted_by: String,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod agency_plan_decision {
    //! A governing body's decision on one revision of an agency's plan; the latest of a revision
    //! is in force, the earlier ones are kept.
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "agency_plan_decision")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub agency_plan_id: i64,
        pub agency_code: String,
        pub plan_code: String,
        pub revision: i32,
        /// "approve" or "return".
        pub decision: String,
        /// The reasons, as JSON: `[{"field": ..., "reason": ...}]`.
        pub reasons: String,
        pub decided_by: String,
        pub decided_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod plan_task {
    //! A task of a plan (domain::task::Task), as JSON: one row per task, read and written whole
    //! with its plan.
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plan_task")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub plan_code: String,
        pub code: String,
        pub position: i32,
        pub task: String,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod task_progress {
    //! One revision of a lead's progress report on one line of a plan's task for a period.
    //! `content` is the report's JSON (domain::task::Progress), kept as the bytes the audit log
    //! recorded.
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "task_progress")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub plan_code: String,
        pub task_code: String,
        pub period_code: String,
        pub reporter_code: String,
        pub revision: i32,
        pub request_id: String,
        pub content: Vec<u8>,
        pub content_hash: String,
        pub received_at: DateTimeUtc,
        pub submitted_by: String,
    }

    impl ActiveModelBehavior for ActiveModel {}
}
