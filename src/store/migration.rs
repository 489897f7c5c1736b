//! The schema, as sea-orm migrations run at every start on SQLite and PostgreSQL alike.

use chrono::Utc;
use sea_orm::{EntityTrait, QueryOrder};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::audit::{self, AuditAction, AuditHead, AuditRecord};
use super::entities::{audit_entry, submission};

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(CreateCatalogAndSubmissions),
            Box::new(CreateCredentialsAndAudit),
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
            subject: audit::submission_subject(row),
            request_id: row.request_id.clone(),
            content_hash: row.content_hash.clone(),
        })
        .collect();
    let genesis = AuditHead {
        seq: 0,
        hash: String::new(),
    };
    let (entries, head) = audit::chain(genesis, &records, Utc::now());
    for chunk in entries.chunks(500) {
        audit_entry::Entity::insert_many(chunk.iter().cloned())
            .exec_without_returning(db)
            .await?;
    }
    audit::save_head(db, head).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use sea_orm::{ActiveModelBehavior, ActiveModelTrait, Database};

    use super::*;
    use crate::store::Store;

    /// A database holding submissions from before the audit log gets one entry for each on
    /// upgrade, and verifies.
    #[tokio::test]
    async fn an_upgraded_database_records_its_earlier_submissions() {
        let directory = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            directory.path().join("old.db").display()
        );
        let db = Database::connect(&url).await.unwrap();
        Migrator::up(&db, Some(1)).await.unwrap();
        let report = crate::domain::report::AnnualReport::default();
        submission::ActiveModel {
            request_id: sea_orm::Set("before".into()),
            agency_code: sea_orm::Set("bao-nam-dinh".into()),
            period_code: sea_orm::Set("2024".into()),
            revision: sea_orm::Set(1),
            received_at: sea_orm::Set(Utc::now()),
            late: sea_orm::Set(false),
            content_hash: sea_orm::Set(report.content_hash("bao-nam-dinh", "2024")),
            report: sea_orm::Set(serde_json::to_string(&report).unwrap()),
            feed_position: sea_orm::Set(1),
            ..submission::ActiveModel::new()
        }
        .insert(&db)
        .await
        .unwrap();
        db.close().await.unwrap();

        let store = Store::connect(&url).await.unwrap();
        let verification = store.verify_audit().await.unwrap();
        assert_eq!(verification.first_broken, None);
        assert_eq!((verification.entries, verification.submissions), (1, 1));
        store.close().await.unwrap();
    }
}
