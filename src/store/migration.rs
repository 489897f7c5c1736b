//! The schema, as sea-orm migrations run at every start on SQLite and PostgreSQL alike.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::audit_chain::{self, AuditAction, AuditHead, AuditRecord};
use super::entities::{
    agency_plan, audit_entry, organization, period, self_assessment, submission,
};
use super::{agency_plans, catalog, self_assessments};
use crate::domain::agency_plan::{AgencyTask, Commitment, CommitmentValue};
use crate::domain::assessment::{Evidence, Sha256Hex};
use crate::domain::maturity::{Answer, Hundredths};
use crate::domain::report::AnnualReport;
use crate::domain::stored_forms::{AgencyPlanForm, SelfAssessmentForm};

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(CreateCatalogAndSubmissions),
            // Added later, but listed (so run) before every migration that reads submissions
            // through the entity, which knows these columns: pending migrations run in this
            // order, whatever their names.
            Box::new(RecordWhoEnteredSubmissions),
            Box::new(ClosePeriods),
            Box::new(CreateReviews),
            Box::new(PlausibilityWarnings),
            Box::new(CreateCredentialsAndAudit),
            Box::new(RehashReportsInCanonicalForm),
            // Before the catalogue's state is first recorded: reading the catalogue reads them.
            Box::new(CreateWithdrawnOrganizations),
            // Added later, but before the catalogue's state is first recorded for the same reason.
            Box::new(CreateMaturityFrameworks),
            // Added later still, and here for the same reason: reading the catalogue reads them,
            // and the catalogue's state is first recorded by the next migration.
            Box::new(CreatePlanTasks),
            Box::new(RecordCatalogState),
            Box::new(CreatePageTokenKey),
            Box::new(CreateProvinceReports),
            Box::new(CreateSelfAssessments),
            Box::new(CreateMaturityAppraisals),
            Box::new(NotifyCounterChanges),
            Box::new(CreateAgencyPlans),
            Box::new(CreateTaskProgress),
            Box::new(CountersInNotifications),
            Box::new(RecordCounters),
            Box::new(StoreFormsOwnedByPressdx),
        ]
    }
}

/// The catalogue (organisations, indicators, plans, periods), the submissions, and the counters
/// (change feed head, catalogue revision).
struct CreateCatalogAndSubmissions;

impl MigrationName for CreateCatalogAndSubmissions {
    fn name(&self) -> &str {
        "m20261126_000001_create_catalog_and_submissions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateCatalogAndSubmissions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Table::create()
                .table("organization")
                .col(string("code").primary_key())
                .col(string("kind"))
                .col(date_null("valid_from"))
                .col(date_null("valid_until"))
                .col(boolean("illustrative"))
                .col(text("note"))
                .to_owned(),
            Table::create()
                .table("organization_version")
                .col(big_pk_auto("id"))
                .col(string("organization_code"))
                .col(date_null("valid_from"))
                .col(date_null("valid_until"))
                .col(string("name"))
                .col(string_null("province_code"))
                .col(string_null("governing_body_code"))
                .col(string_null("agency_type"))
                .col(boolean("publishes_electronic_press"))
                .to_owned(),
            Table::create()
                .table("organization_link")
                .col(big_pk_auto("id"))
                .col(string("predecessor_code"))
                .col(string("successor_code"))
                .col(date("effective_on"))
                .col(string("kind"))
                .to_owned(),
            Table::create()
                .table("indicator")
                .col(string("code").primary_key())
                .col(integer("position"))
                .col(string("name"))
                .col(text("description"))
                .col(string("indicator_type"))
                .col(string("unit"))
                .col(big_integer_null("min_value"))
                .col(big_integer_null("max_value"))
                .col(boolean("required"))
                .to_owned(),
            Table::create()
                .table("plan")
                .col(string("code").primary_key())
                .col(string("name"))
                .col(string("decision"))
                .col(date_null("issued_on"))
                .col(string_null("province_code"))
                .to_owned(),
            Table::create()
                .table("target")
                .col(big_pk_auto("id"))
                .col(string("plan_code"))
                .col(string("code"))
                .col(integer("position"))
                .col(string("name"))
                .col(text("rule"))
                .to_owned(),
            Table::create()
                .table("milestone")
                .col(big_pk_auto("id"))
                .col(string("plan_code"))
                .col(string("target_code"))
                .col(integer("year"))
                .col(integer("required_share_bp"))
                .col(integer_null("parameter_bp"))
                .to_owned(),
            Table::create()
                .table("period")
                .col(string("code").primary_key())
                .col(integer("year"))
                .col(date("window_start"))
                .col(date("window_end"))
                .col(timestamp_with_time_zone("deadline"))
                .to_owned(),
            Table::create()
                .table("submission")
                .col(big_pk_auto("id"))
                .col(string_uniq("request_id"))
                .col(string("agency_code"))
                .col(string("period_code"))
                .col(integer("revision"))
                .col(timestamp_with_time_zone("received_at"))
                .col(boolean("late"))
                .col(string("content_hash"))
                .col(text("report"))
                .col(big_integer_uniq("feed_position"))
                .to_owned(),
            Table::create()
                .table("latest_submission")
                .col(string("agency_code"))
                .col(string("period_code"))
                .col(integer("revision"))
                .col(big_integer("submission_id"))
                .col(timestamp_with_time_zone("first_received_at"))
                .col(boolean("first_late"))
                .primary_key(Index::create().col("agency_code").col("period_code"))
                .to_owned(),
            Table::create()
                .table("counters")
                .col(integer("id").primary_key())
                .col(big_integer("feed_position"))
                .col(big_integer("catalog_revision"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }

        let indexes = [
            Index::create()
                .name("organization_version_by_code")
                .table("organization_version")
                .col("organization_code")
                .to_owned(),
            Index::create()
                .name("target_by_plan")
                .table("target")
                .col("plan_code")
                .col("code")
                .unique()
                .to_owned(),
            Index::create()
                .name("milestone_by_target")
                .table("milestone")
                .col("plan_code")
                .col("target_code")
                .col("year")
                .unique()
                .to_owned(),
            // One row per revision: two concurrent submits that chose the same revision collide
            // here, and the loser retries with the next one.
            Index::create()
                .name("submission_revision")
                .table("submission")
                .col("agency_code")
                .col("period_code")
                .col("revision")
                .unique()
                .to_owned(),
            Index::create()
                .name("submission_by_period")
                .table("submission")
                .col("period_code")
                .col("agency_code")
                .to_owned(),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }

        // One row. feed_position is the change feed's head, the position of the last committed
        // submission: a submit increments it first thing in its transaction and holds the row lock
        // until it commits, so positions follow commit order, with no gaps. catalog_revision moves
        // whenever a catalogue import changes something, so that servers know to reload theirs.
        manager
            .exec_stmt(
                Query::insert()
                    .into_table("counters")
                    .columns(["id", "feed_position", "catalog_revision"])
                    .values_panic([1.into(), 0.into(), 0.into()])
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}

/// Who may call the server (credentials: bearer tokens and client certificates), and the audit
/// log every write appends to, chained by hash.
struct CreateCredentialsAndAudit;

impl MigrationName for CreateCredentialsAndAudit {
    fn name(&self) -> &str {
        "m20261127_000001_create_credentials_and_audit"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateCredentialsAndAudit {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("credential")
                    .col(big_pk_auto("id"))
                    .col(string("kind"))
                    // SHA-256 of the bearer token, or of the client certificate (DER): the
                    // secret itself is never stored.
                    .col(string_uniq("secret_sha256"))
                    .col(string("role"))
                    .col(string_null("organization_code"))
                    .col(text("label"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("expires_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("audit_entry")
                    .col(big_integer("seq").primary_key())
                    // Text, not a timestamp column: the entry hash covers these exact characters,
                    // whatever precision the database would keep.
                    .col(string("recorded_at"))
                    .col(text("principal"))
                    .col(string("action"))
                    .col(text("subject"))
                    .col(text("request_id"))
                    .col(string("content_hash"))
                    .col(string("previous_hash"))
                    .col(string("entry_hash"))
                    .to_owned(),
            )
            .await?;
        // credential_revision moves whenever a credential is created or revoked, so that servers
        // reload theirs; audit_seq and audit_head are the audit chain's last entry, so that
        // appending needs no search and a truncated chain is caught by `pressdx audit verify`.
        // One column per statement: SQLite alters one thing at a time.
        let columns = [
            big_integer("credential_revision").default(0).to_owned(),
            big_integer("audit_seq").default(0).to_owned(),
            string("audit_head").default("").to_owned(),
        ];
        for column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table("counters")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        record_earlier_submissions(manager).await
    }
}

/// Starts the audit chain of a database that already holds submissions with one entry for each,
/// so that `pressdx audit verify` holds from the upgrade on. The entries say they were recorded
/// when the log began, not who submitted.
async fn record_earlier_submissions(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let rows = submission::Entity::find()
        .order_by_asc(submission::Column::Id)
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let records: Vec<AuditRecord> = rows
        .iter()
        .map(|row| AuditRecord {
            principal: "recorded when the audit log began (submitted before it)".to_string(),
            action: AuditAction::SubmissionAccepted,
            subject: audit_chain::submission_subject(row),
            request_id: row.request_id.clone(),
            content_hash: row.content_hash.clone(),
        })
        .collect();
    let genesis = AuditHead {
        seq: 0,
        hash: String::new(),
    };
    let (entries, head) = audit_chain::chain(genesis, &records, Utc::now());
    for chunk in entries.chunks(500) {
        audit_entry::Entity::insert_many(chunk.iter().cloned())
            .exec_without_returning(db)
            .await?;
    }
    audit_chain::save_head(db, head).await?;
    Ok(())
}

/// Moves the content hashes of the submissions stored before the canonical form
/// `pressdx.report.v1` to that form, so that retries of their request ids still replay and
/// `pressdx audit verify` still holds. Each moved hash gets a `submission.rehashed` entry; a
/// stored hash that does not match its report under the form it was made with (a row edited
/// behind pressdx's back) is left as it is, for `audit verify` to find.
struct RehashReportsInCanonicalForm;

impl MigrationName for RehashReportsInCanonicalForm {
    fn name(&self) -> &str {
        "m20261128_000001_rehash_reports_in_canonical_form"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for RehashReportsInCanonicalForm {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let mut records = Vec::new();
        let mut after_id = 0;
        loop {
            let rows = submission::Entity::find()
                .filter(submission::Column::Id.gt(after_id))
                .order_by_asc(submission::Column::Id)
                .limit(1000)
                .all(db)
                .await?;
            let Some(last) = rows.last() else { break };
            after_id = last.id;
            for mut row in rows {
                if row.content_hash != first_form_hash(&row) {
                    continue;
                }
                let Ok(report) = serde_json::from_str::<AnnualReport>(&row.report) else {
                    continue;
                };
                row.content_hash = report.content_hash(&row.agency_code, &row.period_code);
                submission::Entity::update_many()
                    .col_expr(
                        submission::Column::ContentHash,
                        Expr::value(row.content_hash.clone()),
                    )
                    .filter(submission::Column::Id.eq(row.id))
                    .exec(db)
                    .await?;
                records.push(AuditRecord {
                    principal: "upgrade to the content hash form pressdx.report.v1".to_string(),
                    action: AuditAction::SubmissionRehashed,
                    subject: audit_chain::submission_subject(&row),
                    request_id: row.request_id.clone(),
                    content_hash: row.content_hash.clone(),
                });
            }
        }
        if records.is_empty() {
            return Ok(());
        }
        let head = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT audit_seq, audit_head FROM counters WHERE id = 1",
            ))
            .await?
            .ok_or_else(|| DbErr::Custom("the counters row is missing".into()))?;
        let head = AuditHead {
            seq: head.try_get_by_index(0)?,
            hash: head.try_get_by_index(1)?,
        };
        let (entries, head) = audit_chain::chain(head, &records, Utc::now());
        for chunk in entries.chunks(500) {
            audit_entry::Entity::insert_many(chunk.iter().cloned())
                .exec_without_returning(db)
                .await?;
        }
        audit_chain::save_head(db, head).await?;
        Ok(())
    }
}

/// The catalogue's state as each catalogue entry of the audit log records it, so that `audit
/// verify` can name what changed in the catalogue tables since. A database upgraded with a
/// catalogue in it records that catalogue's state as found, in a `catalog.recorded` entry.
struct RecordCatalogState;

impl MigrationName for RecordCatalogState {
    fn name(&self) -> &str {
        "m20261128_000003_record_catalog_state"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for RecordCatalogState {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("catalog_state")
                    .col(big_integer("seq").primary_key())
                    .col(text("state"))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        if organization::Entity::find().one(db).await?.is_none()
            && period::Entity::find().one(db).await?.is_none()
        {
            return Ok(());
        }
        let record = AuditRecord {
            principal: "recorded when the audit log began recording the catalogue's state"
                .to_string(),
            action: AuditAction::CatalogRecorded,
            subject: "catalogue (as found)".to_string(),
            request_id: String::new(),
            content_hash: String::new(),
        };
        catalog::record_state(db, record)
            .await
            .map_err(|error| DbErr::Custom(error.to_string()))
    }
}

/// A random key, one per database, that every process sharing it signs page tokens with: a token
/// is then opaque, and one a client made up (or changed) is refused.
struct CreatePageTokenKey;

impl MigrationName for CreatePageTokenKey {
    fn name(&self) -> &str {
        "m20261128_000004_create_page_token_key"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreatePageTokenKey {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("counters")
                    .add_column(string("page_token_key").default(""))
                    .to_owned(),
            )
            .await?;
        let mut key = [0_u8; 32];
        getrandom::fill(&mut key).map_err(|error| DbErr::Custom(error.to_string()))?;
        let key = hex::encode(key);
        manager
            .exec_stmt(
                Query::update()
                    .table("counters")
                    .value("page_token_key", key)
                    .and_where(Expr::col("id").eq(1))
                    .to_owned(),
            )
            .await
    }
}

/// Who entered a submission when it was not the agency itself (a province typing in a paper
/// report, the Ministry importing history), and whether its receipt time was asserted by them.
/// Submissions stored before were all sent by their agency, at the time stored.
struct RecordWhoEnteredSubmissions;

impl MigrationName for RecordWhoEnteredSubmissions {
    fn name(&self) -> &str {
        "m20261129_000001_record_who_entered_submissions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for RecordWhoEnteredSubmissions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for column in [
            string_null("entered_by"),
            boolean("received_at_asserted").default(false).to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("submission")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

/// When each period closes to agencies' submits, and the reopenings a province grants one of its
/// agencies after that.
struct ClosePeriods;

impl MigrationName for ClosePeriods {
    fn name(&self) -> &str {
        "m20261129_000002_close_periods"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for ClosePeriods {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("period")
                    .add_column(timestamp_with_time_zone_null("closes_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("period_reopening")
                    .col(big_pk_auto("id"))
                    .col(string("agency_code"))
                    .col(string("period_code"))
                    .col(timestamp_with_time_zone("until"))
                    .col(text("reason"))
                    .col(string("reopened_by"))
                    .col(timestamp_with_time_zone("reopened_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("period_reopening_by_period")
                    .table("period_reopening")
                    .col("period_code")
                    .col("agency_code")
                    .to_owned(),
            )
            .await
    }
}

/// The province's reviews of its agencies' submissions.
struct CreateReviews;

impl MigrationName for CreateReviews {
    fn name(&self) -> &str {
        "m20261129_000003_create_reviews"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateReviews {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("review")
                    .col(big_pk_auto("id"))
                    .col(big_integer("submission_id"))
                    .col(string("agency_code"))
                    .col(string("period_code"))
                    .col(integer("revision"))
                    .col(string("decision"))
                    .col(text("reasons"))
                    .col(string("reviewed_by"))
                    .col(timestamp_with_time_zone("reviewed_at"))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("review_by_submission", "submission_id"),
            ("review_by_period", "period_code"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("review")
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

/// Plausibility warnings: the catalogue's rules, and the warnings each submission was accepted
/// with (none for those stored before).
struct PlausibilityWarnings;

impl MigrationName for PlausibilityWarnings {
    fn name(&self) -> &str {
        "m20261129_000004_plausibility_warnings"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for PlausibilityWarnings {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("submission")
                    .add_column(text("warnings").default("[]").to_owned())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("plausibility_rule")
                    .col(string("code").primary_key())
                    .col(integer("position"))
                    .col(text("rule"))
                    .to_owned(),
            )
            .await
    }
}

/// Organisations taken out of the catalogue by an import, kept apart with why and as they were.
struct CreateWithdrawnOrganizations;

impl MigrationName for CreateWithdrawnOrganizations {
    fn name(&self) -> &str {
        "m20261128_000002_create_withdrawn_organizations"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateWithdrawnOrganizations {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("withdrawn_organization")
                    .col(string("code").primary_key())
                    .col(text("note"))
                    .col(timestamp_with_time_zone("withdrawn_at"))
                    .col(text("entry"))
                    .to_owned(),
            )
            .await
    }
}

/// The maturity index's frameworks, one JSON row each (domain::maturity::Framework). Listed before
/// RecordCatalogState, which reads the whole catalogue: on a fresh database this table must exist
/// by then; on one that recorded its state already, it starts empty, and a catalogue state
/// recorded without frameworks still matches (store::catalog::canonical_catalog).
struct CreateMaturityFrameworks;

impl MigrationName for CreateMaturityFrameworks {
    fn name(&self) -> &str {
        "m20261202_000001_create_maturity_frameworks"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateMaturityFrameworks {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("maturity_framework")
                    .col(string("code").primary_key())
                    .col(integer("position"))
                    .col(text("framework"))
                    .to_owned(),
            )
            .await
    }
}

/// The tasks of the plans, one row per task.
struct CreatePlanTasks;

impl MigrationName for CreatePlanTasks {
    fn name(&self) -> &str {
        "m20261203_000001_create_plan_tasks"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreatePlanTasks {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("plan_task")
                    .col(big_pk_auto("id"))
                    .col(string("plan_code"))
                    .col(string("code"))
                    .col(integer("position"))
                    .col(text("task"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("plan_task_by_plan")
                    .table("plan_task")
                    .col("plan_code")
                    .col("code")
                    .unique()
                    .to_owned(),
            )
            .await
    }
}

/// The leads' progress reports on the plans' tasks, one row per revision.
struct CreateTaskProgress;

impl MigrationName for CreateTaskProgress {
    fn name(&self) -> &str {
        "m20261203_000002_create_task_progress"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateTaskProgress {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("task_progress")
                    .col(big_pk_auto("id"))
                    .col(string("plan_code"))
                    .col(string("task_code"))
                    .col(string("period_code"))
                    .col(string("reporter_code"))
                    .col(integer("revision"))
                    .col(string("request_id").unique_key())
                    .col(blob("content"))
                    .col(string("content_hash"))
                    .col(timestamp_with_time_zone("received_at"))
                    .col(string("submitted_by"))
                    .to_owned(),
            )
            .await?;
        // One row per revision: two processes storing the same next revision cannot both succeed.
        manager
            .create_index(
                Index::create()
                    .name("task_progress_revision")
                    .table("task_progress")
                    .col("plan_code")
                    .col("task_code")
                    .col("period_code")
                    .col("reporter_code")
                    .col("revision")
                    .unique()
                    .to_owned(),
            )
            .await
    }
}

/// The content hash as pressdx made it before `pressdx.report.v1`: SHA-256 over
/// `{"agency_code":..,"period_code":..,"report":..}` with the report exactly as it was stored then
/// (serde's JSON of every field, unanswered ones as null). Frozen here, so that it never follows
/// later changes to the report.
fn first_form_hash(row: &submission::Model) -> String {
    let quoted = |text: &str| serde_json::Value::from(text).to_string();
    let bytes = format!(
        "{{\"agency_code\":{},\"period_code\":{},\"report\":{}}}",
        quoted(&row.agency_code),
        quoted(&row.period_code),
        row.report
    );
    crate::domain::canonical::sha256_hex(bytes.as_bytes())
}

/// The provinces' yearly reports to the Ministry, one row per version.
struct CreateProvinceReports;

impl MigrationName for CreateProvinceReports {
    fn name(&self) -> &str {
        "m20261201_000001_create_province_reports"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateProvinceReports {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("province_report")
                    .col(big_pk_auto("id"))
                    .col(string("province_code"))
                    .col(string("plan_code"))
                    .col(string("period_code"))
                    .col(integer("version"))
                    .col(string("state"))
                    .col(text("correction_reason"))
                    .col(blob("content"))
                    .col(string("content_hash"))
                    .col(big_integer("data_as_of"))
                    .col(string("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(string_null("submitted_by"))
                    .col(timestamp_with_time_zone_null("submitted_at"))
                    .to_owned(),
            )
            .await?;
        // One row per version: two processes drafting the same next version cannot both succeed.
        manager
            .create_index(
                Index::create()
                    .name("province_report_version")
                    .table("province_report")
                    .col("province_code")
                    .col("plan_code")
                    .col("period_code")
                    .col("version")
                    .unique()
                    .to_owned(),
            )
            .await
    }
}

/// The agencies' maturity self-assessments, one row per revision.
struct CreateSelfAssessments;

impl MigrationName for CreateSelfAssessments {
    fn name(&self) -> &str {
        "m20261201_000003_create_self_assessments"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateSelfAssessments {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("self_assessment")
                    .col(big_pk_auto("id"))
                    .col(string("agency_code"))
                    .col(string("period_code"))
                    .col(string("framework_code"))
                    .col(integer("revision"))
                    .col(string("request_id").unique_key())
                    .col(blob("content"))
                    .col(string("content_hash"))
                    .col(timestamp_with_time_zone("received_at"))
                    .col(string("submitted_by"))
                    .to_owned(),
            )
            .await?;
        // One row per revision: two processes storing the same next revision cannot both succeed.
        manager
            .create_index(
                Index::create()
                    .name("self_assessment_revision")
                    .table("self_assessment")
                    .col("agency_code")
                    .col("period_code")
                    .col("revision")
                    .unique()
                    .to_owned(),
            )
            .await
    }
}

/// Appraisals of self-assessments, every one kept.
struct CreateMaturityAppraisals;

impl MigrationName for CreateMaturityAppraisals {
    fn name(&self) -> &str {
        "m20261201_000004_create_maturity_appraisals"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateMaturityAppraisals {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("maturity_appraisal")
                    .col(big_pk_auto("id"))
                    .col(big_integer("self_assessment_id"))
                    .col(string("criterion_code"))
                    .col(integer("points_hundredths"))
                    .col(text("reason"))
                    .col(string("appraised_by"))
                    .col(timestamp_with_time_zone("appraised_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("maturity_appraisal_by_assessment")
                    .table("maturity_appraisal")
                    .col("self_assessment_id")
                    .to_owned(),
            )
            .await
    }
}

/// Agencies' own plans, one row per revision, and their governing bodies' decisions, every one
/// kept.
struct CreateAgencyPlans;

impl MigrationName for CreateAgencyPlans {
    fn name(&self) -> &str {
        "m20261127_000001_create_agency_plans"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateAgencyPlans {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("agency_plan")
                    .col(big_pk_auto("id"))
                    .col(string("agency_code"))
                    .col(string("plan_code"))
                    .col(integer("revision"))
                    .col(string("request_id").unique_key())
                    .col(blob("content"))
                    .col(string("content_hash"))
                    .col(timestamp_with_time_zone("received_at"))
                    .col(string("submitted_by"))
                    .to_owned(),
            )
            .await?;
        // One row per revision: two processes storing the same next revision cannot both succeed.
        manager
            .create_index(
                Index::create()
                    .name("agency_plan_revision")
                    .table("agency_plan")
                    .col("agency_code")
                    .col("plan_code")
                    .col("revision")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("agency_plan_decision")
                    .col(big_pk_auto("id"))
                    .col(big_integer("agency_plan_id"))
                    .col(string("agency_code"))
                    .col(string("plan_code"))
                    .col(integer("revision"))
                    .col(string("decision"))
                    .col(text("reasons"))
                    .col(string("decided_by"))
                    .col(timestamp_with_time_zone("decided_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("agency_plan_decision_by_plan")
                    .table("agency_plan_decision")
                    .col("agency_plan_id")
                    .to_owned(),
            )
            .await
    }
}

/// On PostgreSQL, every change to the counters (a commit that moves the change feed, the
/// catalogue or the credentials, whichever process made it) notifies channel
/// [`COUNTERS_CHANNEL`](super::commits::COUNTERS_CHANNEL) when its transaction commits: what lets a
/// server trust its copy without asking the database on every read (`store::commits`). SQLite has
/// no notifications; its servers look instead.
struct NotifyCounterChanges;

impl MigrationName for NotifyCounterChanges {
    fn name(&self) -> &str {
        "m20261202_000001_notify_counter_changes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for NotifyCounterChanges {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "CREATE OR REPLACE FUNCTION pressdx_counters_changed() RETURNS trigger AS $$ \
             BEGIN PERFORM pg_notify('{channel}', ''); RETURN NULL; END $$ LANGUAGE plpgsql",
            channel = super::commits::COUNTERS_CHANNEL
        ))
        .await?;
        // Only the counters a reader's copy depends on; the lock-taking no-op updates
        // (`SET feed_position = feed_position`) and the audit chain's head do not notify.
        db.execute_unprepared(
            "CREATE TRIGGER counters_changed AFTER UPDATE ON counters FOR EACH ROW \
             WHEN ((OLD.feed_position, OLD.catalog_revision, OLD.credential_revision) \
                   IS DISTINCT FROM (NEW.feed_position, NEW.catalog_revision, NEW.credential_revision)) \
             EXECUTE FUNCTION pressdx_counters_changed()",
        )
        .await?;
        Ok(())
    }
}

/// On PostgreSQL, the counters' notification carries the counters as the commit left them (the
/// feed head, the catalogue revision and the credential revision, separated by spaces), so that
/// a server that already knows them, such as the one that made the commit, need not ask the
/// database for them (`store::commits`).
struct CountersInNotifications;

impl MigrationName for CountersInNotifications {
    fn name(&self) -> &str {
        "m20261203_000001_counters_in_notifications"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CountersInNotifications {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE OR REPLACE FUNCTION pressdx_counters_changed() RETURNS trigger AS $$ \
                 BEGIN PERFORM pg_notify('{channel}', NEW.feed_position || ' ' || \
                 NEW.catalog_revision || ' ' || NEW.credential_revision); RETURN NULL; END $$ \
                 LANGUAGE plpgsql",
                channel = super::commits::COUNTERS_CHANNEL
            ))
            .await?;
        Ok(())
    }
}

/// Records in the audit chain the counters it did not record until now (the catalogue and
/// credential revisions, and the page token key's hash), as found, in a `counters.recorded`
/// entry: from it on, `pressdx audit verify` checks each revision against the entries that move
/// it and the key against its hash, so that a counter edited behind pressdx's back is named. On a
/// new database it is the chain's first entry. Entries before it may spell a review's or a
/// reopening's content hash "sha256:sha256:<hex>", as pressdx wrote them until then.
struct RecordCounters;

impl MigrationName for RecordCounters {
    fn name(&self) -> &str {
        "m20261210_000001_record_counters"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for RecordCounters {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let counters = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT catalog_revision, credential_revision, page_token_key FROM counters \
                 WHERE id = 1",
            ))
            .await?
            .ok_or_else(|| DbErr::Custom("the counters row is missing".into()))?;
        let (catalog_revision, credential_revision, page_token_key): (i64, i64, String) = (
            counters.try_get_by_index(0)?,
            counters.try_get_by_index(1)?,
            counters.try_get_by_index(2)?,
        );
        let record = AuditRecord {
            principal: "recorded when the audit log began recording the counters".to_string(),
            action: AuditAction::CountersRecorded,
            subject: audit_chain::counters_subject(catalog_revision, credential_revision),
            request_id: String::new(),
            content_hash: audit_chain::page_token_key_hash(&page_token_key),
        };
        audit_chain::append(db, &[record], Utc::now())
            .await
            .map_err(|error| DbErr::Custom(error.to_string()))?;
        Ok(())
    }
}

/// Converts the self-assessments and agency plans stored as encoded request messages (the
/// protobuf of the SubmitSelfAssessmentRequest or SubmitAgencyPlanRequest that would send them
/// again, as pressdx stored them until now) into pressdx's own stored forms
/// (`domain::stored_forms`), so that the database no longer follows the contract. What each says
/// is unchanged, and so is its content hash, which was always computed over the parsed value and
/// never over its encoding: a retry of an old request id still replays. Each converted row gets a
/// `self_assessment.converted` or `agency_plan.converted` entry recording its new bytes. A row
/// whose bytes do not decode is left as it is, and one that does not hash to its content hash is
/// converted all the same: `audit verify` names both.
struct StoreFormsOwnedByPressdx;

impl MigrationName for StoreFormsOwnedByPressdx {
    fn name(&self) -> &str {
        "m20261212_000001_store_forms_owned_by_pressdx"
    }
}

/// Who the entries of the conversion name.
const CONVERTED_BY: &str = "converted to pressdx's own stored form at an upgrade";

#[async_trait::async_trait]
impl MigrationTrait for StoreFormsOwnedByPressdx {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let mut records = Vec::new();
        for row in self_assessment::Entity::find()
            .order_by_asc(self_assessment::Column::Id)
            .all(db)
            .await?
        {
            let Some(form) = legacy_self_assessment(&row.content) else {
                continue;
            };
            let mut converted: self_assessment::ActiveModel = row.into();
            converted.content = sea_orm::Set(form.to_stored());
            let converted = converted.update(db).await?;
            records.push(AuditRecord {
                principal: CONVERTED_BY.to_string(),
                action: AuditAction::SelfAssessmentConverted,
                ..self_assessments::audit_record(&converted)
            });
        }
        for row in agency_plan::Entity::find()
            .order_by_asc(agency_plan::Column::Id)
            .all(db)
            .await?
        {
            let Some(form) = legacy_agency_plan(&row.content) else {
                continue;
            };
            let mut converted: agency_plan::ActiveModel = row.into();
            converted.content = sea_orm::Set(form.to_stored());
            let converted = converted.update(db).await?;
            records.push(AuditRecord {
                principal: CONVERTED_BY.to_string(),
                action: AuditAction::AgencyPlanConverted,
                ..agency_plans::audit_record(&converted)
            });
        }
        audit_chain::append(db, &records, Utc::now())
            .await
            .map_err(|error| DbErr::Custom(error.to_string()))?;
        Ok(())
    }
}

/// A self-assessment as pressdx stored it until `StoreFormsOwnedByPressdx`: the encoded
/// SubmitSelfAssessmentRequest, its answers and evidence in criterion order, each answer set, a
/// link or document id left out as "". Read here only, with the generated message type, whose
/// later versions still decode what this one wrote.
fn legacy_self_assessment(bytes: &[u8]) -> Option<SelfAssessmentForm> {
    use crate::proto::{SubmitSelfAssessmentRequest, criterion_answer};
    use prost::Message;
    let request = SubmitSelfAssessmentRequest::decode(bytes).ok()?;
    let answers = request
        .answers
        .into_iter()
        .map(|answer| {
            let given = match answer.answer? {
                criterion_answer::Answer::Yes(yes) => Answer::YesNo(yes),
                criterion_answer::Answer::Choice(code) => Answer::Choice(code),
                criterion_answer::Answer::Number(text) => {
                    Answer::Number(Hundredths::parse_decimal(&text)?)
                }
            };
            Some((answer.criterion_code, given))
        })
        .collect::<Option<_>>()?;
    let present = |text: String| (!text.is_empty()).then_some(text);
    let evidence = request
        .evidence
        .into_iter()
        .map(|reference| {
            let evidence = Evidence {
                title: reference.title,
                link: present(reference.link),
                document_id: present(reference.document_id),
                sha256: Sha256Hex::parse(&reference.sha256)?,
            };
            Some((reference.criterion_code, evidence))
        })
        .collect::<Option<_>>()?;
    Some(SelfAssessmentForm {
        period: request.period_code,
        framework: request.framework_code,
        answers,
        evidence,
    })
}

/// An agency plan as pressdx stored it until `StoreFormsOwnedByPressdx`: the encoded
/// SubmitAgencyPlanRequest, its commitments in the plan's order and its tasks by code, each
/// commitment's value set, each due date as YYYY-MM-DD.
fn legacy_agency_plan(bytes: &[u8]) -> Option<AgencyPlanForm> {
    use crate::proto::{SubmitAgencyPlanRequest, commitment};
    use prost::Message;
    let request = SubmitAgencyPlanRequest::decode(bytes).ok()?;
    let commitments = request
        .commitments
        .into_iter()
        .map(|given| {
            let value = match given.value? {
                commitment::Value::Meets(meets) => CommitmentValue::Meets(meets),
                commitment::Value::GrowthBp(bp) => CommitmentValue::GrowthBp(bp.try_into().ok()?),
                commitment::Value::ShareBp(bp) => CommitmentValue::ShareBp(bp.try_into().ok()?),
            };
            Some(Commitment {
                target_code: given.target_code,
                year: given.year,
                value,
            })
        })
        .collect::<Option<_>>()?;
    let tasks = request
        .tasks
        .into_iter()
        .map(|task| {
            Some(AgencyTask {
                due_on: chrono::NaiveDate::parse_from_str(&task.due_on, "%Y-%m-%d").ok()?,
                code: task.code,
                name: task.name,
                expected_output: task.expected_output,
            })
        })
        .collect::<Option<_>>()?;
    Some(AgencyPlanForm { commitments, tasks })
}

#[cfg(test)]
mod tests {
    use sea_orm::{ActiveModelTrait, Database};

    use super::*;
    use crate::app::submissions::plan_batch;
    use crate::domain::period::Period;
    use crate::domain::submission::ValidSubmission;
    use crate::store::entities::latest_submission;
    use crate::store::{Revised, Store};

    /// A database from before the audit log and the canonical content hash, holding one
    /// submission stored as pressdx stored it then: on upgrade the audit log records it, its hash
    /// moves to the canonical form with an entry saying so, the chain verifies, and a retry of
    /// its request id still replays.
    #[tokio::test]
    async fn an_upgraded_database_keeps_its_earlier_submissions_verifiable_and_replayable() {
        let directory = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            directory.path().join("old.db").display()
        );
        let db = Database::connect(&url).await.unwrap();
        // The catalogue and the submissions, with the columns the entity knows.
        Migrator::up(&db, Some(5)).await.unwrap();
        let mut report = AnnualReport {
            revenue_vnd: Some(12_000),
            ..AnnualReport::default()
        };
        report.headcount.leaders = Some(3);
        let received_at = Utc::now();
        let mut row = submission::Model {
            id: 1,
            request_id: "before".into(),
            agency_code: "bao-nam-dinh".into(),
            period_code: "2024".into(),
            revision: 1,
            received_at,
            late: false,
            content_hash: String::new(),
            // Every field, unanswered ones as null: how reports were stored then.
            report: serde_json::to_string(&report).unwrap(),
            feed_position: 1,
            entered_by: None,
            received_at_asserted: false,
            warnings: "[]".into(),
        };
        row.content_hash = first_form_hash(&row);
        let first_form = row.content_hash.clone();
        submission::ActiveModel::from(row)
            .insert(&db)
            .await
            .unwrap();
        latest_submission::ActiveModel {
            agency_code: sea_orm::Set("bao-nam-dinh".into()),
            period_code: sea_orm::Set("2024".into()),
            revision: sea_orm::Set(1),
            submission_id: sea_orm::Set(1),
            first_received_at: sea_orm::Set(received_at),
            first_late: sea_orm::Set(false),
        }
        .insert(&db)
        .await
        .unwrap();
        db.execute_unprepared("UPDATE counters SET feed_position = 1 WHERE id = 1")
            .await
            .unwrap();
        db.close().await.unwrap();

        let store = Store::connect(&url).await.unwrap();
        let verification = store.verify_audit().await.unwrap();
        assert_eq!(verification.problems, vec![]);
        // The submission's entry, its rehash, and the counters as found.
        assert_eq!((verification.entries, verification.submissions), (3, 1));
        let stored = store.get_submission(1).await.unwrap().unwrap();
        assert_ne!(stored.content_hash, first_form);
        assert_eq!(
            stored.content_hash,
            report.content_hash("bao-nam-dinh", "2024")
        );

        let period = Period {
            closes_at: None,
            code: "2024".into(),
            year: 2024,
            window_start: "2023-12-15".parse().unwrap(),
            window_end: "2024-12-14".parse().unwrap(),
            deadline: received_at,
        };
        let retry = ValidSubmission {
            request_id: "before".into(),
            agency_code: "bao-nam-dinh".into(),
            period,
            content_hash: report.content_hash("bao-nam-dinh", "2024"),
            report,
            submitted_by: "test".into(),
            on_behalf: false,
            asserted_received_at: None,
            warnings: Vec::new(),
        };
        let outcome = store
            .store_submissions(&[(&retry, Utc::now())], plan_batch)
            .await
            .unwrap();
        assert!(matches!(outcome[..], [Revised::Replayed(_)]), "{outcome:?}");
        store.close().await.unwrap();
    }

    /// A database whose catalogue was loaded before catalogue states were recorded records the
    /// state it finds on upgrade, and then finds an edit to it.
    #[tokio::test]
    async fn an_upgraded_database_records_its_catalogue_as_found() {
        let directory = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            directory.path().join("old.db").display()
        );
        let db = Database::connect(&url).await.unwrap();
        // Up to the canonical content hash: the audit log, not yet the catalogue states.
        Migrator::up(&db, Some(7)).await.unwrap();
        period::ActiveModel::from(period::Model {
            code: "2024".into(),
            year: 2024,
            window_start: "2023-12-15".parse().unwrap(),
            window_end: "2024-12-14".parse().unwrap(),
            deadline: Utc::now(),
            closes_at: None,
        })
        .insert(&db)
        .await
        .unwrap();
        db.close().await.unwrap();

        let store = Store::connect(&url).await.unwrap();
        let verification = store.verify_audit().await.unwrap();
        assert_eq!(verification.problems, vec![]);
        // The catalogue as found, then the counters as found.
        assert_eq!(verification.entries, 2);
        store.close().await.unwrap();

        let db = Database::connect(&url).await.unwrap();
        db.execute_unprepared("UPDATE period SET year = 2025")
            .await
            .unwrap();
        db.close().await.unwrap();
        let store = Store::connect(&url).await.unwrap();
        let problems = store.verify_audit().await.unwrap().problems;
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0]
                .problem
                .ends_with("periods.2024.year: recorded 2024, found 2025"),
            "{problems:?}"
        );
        store.close().await.unwrap();
    }
}
