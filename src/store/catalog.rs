//! Reading the catalogue from the database and applying a catalogue file to it.

use std::collections::{BTreeMap, HashMap};

use chrono::SecondsFormat;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};

use chrono::Utc;

use super::audit_chain::{self, AuditAction, AuditRecord};
use super::database::Store;
use super::entities::{
    audit_entry, catalog_state, indicator, maturity_framework, milestone, organization,
    organization_link, organization_version, period, plan, plan_task, plausibility_rule,
    submission, target, withdrawn_organization,
};
use super::error::StoreError;
use super::values::catalog::CatalogSource;
use crate::domain::Catalog;
use crate::domain::canonical::{sha256_hex, to_canonical_json};
use crate::domain::catalog::Withdrawal;
use crate::domain::indicator::{Indicator, IndicatorType};
use crate::domain::maturity::Framework;
use crate::domain::organization::{
    AgencyType, LinkKind, Organization, OrganizationKind, OrganizationLink, OrganizationVersion,
};
use crate::domain::period::Period;
use crate::domain::plan::{Milestone, Plan, Target};
use crate::domain::plausibility::PlausibilityRule;
use crate::domain::task::Task;

/// What applying a catalogue changed, kind by kind.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CatalogImport {
    pub periods: ImportCounts,
    pub indicators: ImportCounts,
    pub organizations: ImportCounts,
    pub plans: ImportCounts,
    /// The plausibility rules.
    pub plausibility: ImportCounts,
    /// The maturity index's frameworks.
    pub maturity_frameworks: ImportCounts,
    /// The organisations it withdrew.
    pub withdrawn: Vec<String>,
    /// How the catalogue tables differed, before the import, from what the last catalogue entry
    /// of the audit log recorded: changes made outside an import.
    pub unrecorded_changes: Vec<String>,
}

/// What an import did to one kind of entry.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportCounts {
    /// The codes of the entries added, and of those changed, in the file's order.
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub unchanged: usize,
    /// In the database but not in the file: kept, since reports may refer to them.
    pub kept: usize,
}

impl CatalogImport {
    pub fn changed_anything(&self) -> bool {
        !self.withdrawn.is_empty()
            || self
                .kinds()
                .iter()
                .any(|(_, counts)| !counts.added.is_empty() || !counts.changed.is_empty())
    }

    /// Each kind of entry with what the import did to it.
    pub fn kinds(&self) -> [(&'static str, &ImportCounts); 6] {
        [
            ("periods", &self.periods),
            ("indicators", &self.indicators),
            ("organizations", &self.organizations),
            ("plans", &self.plans),
            ("plausibility", &self.plausibility),
            ("maturity frameworks", &self.maturity_frameworks),
        ]
    }

    /// "periods +0 ~1, indicators +0 ~0, organizations +2 ~0, plans +0 ~0": added (+) and
    /// changed (~) entries of each kind.
    pub fn summary(&self) -> String {
        self.kinds()
            .iter()
            .map(|(kind, counts)| {
                format!("{kind} +{} ~{}", counts.added.len(), counts.changed.len())
            })
            .chain(
                (!self.withdrawn.is_empty())
                    .then(|| format!("withdrawn {}", self.withdrawn.join(", "))),
            )
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("unknown {what} {value:?}"))
}

impl Store {
    /// Whether no catalogue has been loaded yet.
    pub async fn catalog_is_empty(&self) -> Result<bool, StoreError> {
        Ok(period::Entity::find().count(&self.db).await? == 0
            && organization::Entity::find().count(&self.db).await? == 0)
    }

    /// The whole catalogue as it stands.
    pub async fn load_catalog(&self) -> Result<Catalog, StoreError> {
        load_catalog(&self.db).await
    }

    /// Applies a checked catalogue in one transaction: adds what is new, replaces what changed,
    /// leaves the rest. Applying the same catalogue twice changes nothing the second time.
    /// With `dry_run`, says what would change and changes nothing.
    pub async fn apply_catalog(
        &self,
        incoming: &Catalog,
        source: &CatalogSource<'_>,
        dry_run: bool,
    ) -> Result<CatalogImport, StoreError> {
        let transaction = self.begin_write().await?;
        // Locks the counters row until commit (on PostgreSQL; SQLite's write lock is already
        // held): imports queue behind each other and behind submits, so the state an import
        // records is the state it leaves.
        transaction
            .execute_unprepared(
                "UPDATE counters SET catalog_revision = catalog_revision WHERE id = 1",
            )
            .await?;
        let current = load_catalog(&transaction).await?;
        let recorded = last_catalog_entry(&transaction).await?;
        let recorded = recorded.as_ref().map(|(seq, hash)| (*seq, hash.as_str()));
        let mut import = CatalogImport {
            unrecorded_changes: unrecorded_changes(&transaction, recorded, &current).await?,
            ..CatalogImport::default()
        };

        let periods = changes(
            incoming.periods.iter().map(|p| (p.code.as_str(), p)),
            current.periods.iter().map(|p| (p.code.as_str(), p)),
            &mut import.periods,
        );
        for period in periods {
            period::Entity::delete_by_id(period.code.as_str())
                .exec(&transaction)
                .await?;
            period_to_row(period)
                .into_active_model()
                .insert(&transaction)
                .await?;
        }

        // An indicator's position is part of it: the order of the file is the order listed.
        let indicators = changes(
            incoming
                .indicators
                .iter()
                .enumerate()
                .map(|(position, i)| (i.code.as_str(), (position, i))),
            current
                .indicators
                .iter()
                .enumerate()
                .map(|(position, i)| (i.code.as_str(), (position, i))),
            &mut import.indicators,
        );
        for (position, indicator) in indicators {
            indicator::Entity::delete_by_id(indicator.code.as_str())
                .exec(&transaction)
                .await?;
            indicator_to_row(indicator, position)
                .into_active_model()
                .insert(&transaction)
                .await?;
        }

        let organizations = changes(
            incoming
                .organizations
                .iter()
                .map(|org| with_predecessors(incoming, org)),
            current
                .organizations
                .iter()
                .map(|org| with_predecessors(&current, org)),
            &mut import.organizations,
        );
        for (organization, predecessors) in organizations {
            let code = organization.code.as_str();
            organization::Entity::delete_by_id(code)
                .exec(&transaction)
                .await?;
            organization_version::Entity::delete_many()
                .filter(organization_version::Column::OrganizationCode.eq(code))
                .exec(&transaction)
                .await?;
            organization_link::Entity::delete_many()
                .filter(organization_link::Column::SuccessorCode.eq(code))
                .exec(&transaction)
                .await?;
            organization_to_row(organization)
                .into_active_model()
                .insert(&transaction)
                .await?;
            for version in &organization.versions {
                version_to_row(code, version).insert(&transaction).await?;
            }
            for link in predecessors {
                link_to_row(link).insert(&transaction).await?;
            }
        }

        let plans = changes(
            incoming.plans.iter().map(|p| (p.code.as_str(), p)),
            current.plans.iter().map(|p| (p.code.as_str(), p)),
            &mut import.plans,
        );
        for plan in plans {
            plan::Entity::delete_by_id(plan.code.as_str())
                .exec(&transaction)
                .await?;
            target::Entity::delete_many()
                .filter(target::Column::PlanCode.eq(plan.code.as_str()))
                .exec(&transaction)
                .await?;
            milestone::Entity::delete_many()
                .filter(milestone::Column::PlanCode.eq(plan.code.as_str()))
                .exec(&transaction)
                .await?;
            plan_task::Entity::delete_many()
                .filter(plan_task::Column::PlanCode.eq(plan.code.as_str()))
                .exec(&transaction)
                .await?;
            insert_plan(&transaction, plan).await?;
        }

        // A rule's position is part of it: warnings come in the order of the file.
        let rules = changes(
            incoming
                .plausibility
                .iter()
                .enumerate()
                .map(|(position, r)| (r.code.as_str(), (position, r))),
            current
                .plausibility
                .iter()
                .enumerate()
                .map(|(position, r)| (r.code.as_str(), (position, r))),
            &mut import.plausibility,
        );
        for (position, rule) in rules {
            plausibility_rule::Entity::delete_by_id(rule.code.as_str())
                .exec(&transaction)
                .await?;
            plausibility_rule_to_row(rule, position)?
                .into_active_model()
                .insert(&transaction)
                .await?;
        }

        // A framework's position is part of it: frameworks are listed in the order of the file.
        let frameworks = changes(
            incoming
                .maturity_frameworks
                .iter()
                .enumerate()
                .map(|(position, f)| (f.code.as_str(), (position, f))),
            current
                .maturity_frameworks
                .iter()
                .enumerate()
                .map(|(position, f)| (f.code.as_str(), (position, f))),
            &mut import.maturity_frameworks,
        );
        for (position, framework) in frameworks {
            maturity_framework::Entity::delete_by_id(framework.code.as_str())
                .exec(&transaction)
                .await?;
            maturity_framework_to_row(framework, position)?
                .into_active_model()
                .insert(&transaction)
                .await?;
        }

        for withdrawal in &incoming.withdrawn {
            if current
                .withdrawn
                .iter()
                .any(|earlier| earlier.code == withdrawal.code)
            {
                continue;
            }
            withdraw(&transaction, withdrawal).await?;
            import.withdrawn.push(withdrawal.code.clone());
        }

        if dry_run {
            transaction.rollback().await?;
            return Ok(import);
        }
        if import.changed_anything()
            && !import.unrecorded_changes.is_empty()
            && !source.accept_unrecorded_changes
        {
            transaction.rollback().await?;
            return Err(StoreError::Inconsistent(format!(
                "{}; restore them (pressdx audit verify names them all), or import with \
                 --accept-unrecorded-changes to record them as found",
                import.unrecorded_changes.join("; ")
            )));
        }
        if import.changed_anything() {
            // Tells every server sharing the database to reload its copy of the catalogue.
            transaction
                .execute_unprepared(
                    "UPDATE counters SET catalog_revision = catalog_revision + 1 WHERE id = 1",
                )
                .await?;
            let record = AuditRecord {
                principal: source.applied_by.to_string(),
                action: AuditAction::CatalogApplied,
                subject: format!(
                    "catalogue ({}; file {}{})",
                    import.summary(),
                    sha256_hex(source.text.as_bytes()),
                    if import.unrecorded_changes.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "; accepted as found, changed outside an import before it: {}",
                            import.unrecorded_changes.join("; ")
                        )
                    }
                ),
                request_id: String::new(),
                content_hash: String::new(),
            };
            record_state(&transaction, record).await?;
        }
        transaction.commit().await?;
        self.commits.changed();
        Ok(import)
    }
}

/// The catalogue's whole state in canonical JSON (crate::domain::canonical): every period,
/// indicator (with its place in the list), organisation (with its versions and predecessor links)
/// and plan (with its targets and milestones), keyed by code. A catalogue entry of the audit log
/// records its SHA-256, and the `catalog_state` table the text itself, so that `audit verify` finds
/// and names any edit made to the catalogue tables outside an import.
pub(super) fn canonical_catalog(catalog: &Catalog) -> String {
    let date = |date: Option<chrono::NaiveDate>| date.map(|date| date.to_string());
    let periods: BTreeMap<&str, Value> = catalog
        .periods
        .iter()
        .map(|period| {
            let mut state = json!({
                "year": period.year,
                "window_start": period.window_start.to_string(),
                "window_end": period.window_end.to_string(),
                "deadline": period.deadline.to_rfc3339_opts(SecondsFormat::Micros, true),
            });
            // Only when set, so that the state recorded before periods could close still
            // matches the same catalogue.
            if let Some(closes_at) = period.closes_at {
                state["closes_at"] =
                    Value::from(closes_at.to_rfc3339_opts(SecondsFormat::Micros, true));
            }
            (period.code.as_str(), state)
        })
        .collect();
    let indicators: BTreeMap<&str, Value> = catalog
        .indicators
        .iter()
        .enumerate()
        .map(|(position, indicator)| {
            let state = json!({
                "position": position,
                "name": indicator.name,
                "description": indicator.description,
                "type": indicator.indicator_type.as_str(),
                "unit": indicator.unit,
                "min": indicator.min,
                "max": indicator.max,
                "required": indicator.required,
            });
            (indicator.code.as_str(), state)
        })
        .collect();
    let organizations: BTreeMap<&str, Value> = catalog
        .organizations
        .iter()
        .map(|organization| {
            (
                organization.code.as_str(),
                canonical_organization(catalog, organization),
            )
        })
        .collect();
    let withdrawn: BTreeMap<&str, Value> = catalog
        .withdrawn
        .iter()
        .map(|withdrawal| (withdrawal.code.as_str(), json!({ "note": withdrawal.note })))
        .collect();
    let plans: BTreeMap<&str, Value> = catalog
        .plans
        .iter()
        .map(|plan| {
            let targets: BTreeMap<&str, Value> = plan
                .targets
                .iter()
                .enumerate()
                .map(|(position, target)| {
                    let milestones: BTreeMap<String, Value> = target
                        .milestones
                        .iter()
                        .map(|milestone| {
                            let state = json!({
                                "required_share_bp": milestone.required_share_bp,
                                "parameter_bp": milestone.parameter_bp,
                            });
                            (milestone.year.to_string(), state)
                        })
                        .collect();
                    let state = json!({
                        "position": position,
                        "name": target.name,
                        "rule": target.rule,
                        "milestones": milestones,
                    });
                    (target.code.as_str(), state)
                })
                .collect();
            let mut state = json!({
                "name": plan.name,
                "decision": plan.decision,
                "issued_on": date(plan.issued_on),
                "province": plan.province_code,
                "targets": targets,
            });
            // Only when the plan has tasks, so that the state recorded before tasks existed
            // still matches the same catalogue. A task is recorded whole, as it is stored.
            if !plan.tasks.is_empty() {
                let tasks: BTreeMap<&str, Value> = plan
                    .tasks
                    .iter()
                    .enumerate()
                    .map(|(position, task)| {
                        (
                            task.code.as_str(),
                            json!({ "position": position, "task": task }),
                        )
                    })
                    .collect();
                state["tasks"] = json!(tasks);
            }
            (plan.code.as_str(), state)
        })
        .collect();
    let mut state = json!({
        "form": "pressdx.catalog.v1",
        "periods": periods,
        "indicators": indicators,
        "organizations": organizations,
        "plans": plans,
        "withdrawn": withdrawn,
    });
    // Only when there are rules, so that the state recorded before rules existed still matches
    // the same catalogue.
    if !catalog.plausibility.is_empty() {
        let rules: BTreeMap<&str, Value> = catalog
            .plausibility
            .iter()
            .enumerate()
            .map(|(position, rule)| {
                let state = json!({
                    "position": position,
                    "indicator": rule.indicator,
                    "check": rule.check,
                    "description": rule.description,
                });
                (rule.code.as_str(), state)
            })
            .collect();
        state["plausibility"] = json!(rules);
    }
    // Likewise only when there are frameworks. A framework is recorded whole, as it is stored.
    if !catalog.maturity_frameworks.is_empty() {
        let frameworks: BTreeMap<&str, Value> = catalog
            .maturity_frameworks
            .iter()
            .enumerate()
            .map(|(position, framework)| {
                let state = json!({
                    "position": position,
                    "framework": framework,
                });
                (framework.code.as_str(), state)
            })
            .collect();
        state["maturity_frameworks"] = json!(frameworks);
    }
    to_canonical_json(&state)
}

/// The last catalogue entry of the audit log: its number and content hash (the SHA-256 of the
/// catalogue state it recorded).
async fn last_catalog_entry(
    db: &impl ConnectionTrait,
) -> Result<Option<(i64, String)>, StoreError> {
    Ok(audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.is_in([
            AuditAction::CatalogApplied.as_str(),
            AuditAction::CatalogRecorded.as_str(),
        ]))
        .order_by_desc(audit_entry::Column::Seq)
        .one(db)
        .await?
        .map(|entry| (entry.seq, entry.content_hash)))
}

/// How the catalogue `found` in the tables differs from the state that the catalogue entry
/// `recorded` (its number and content hash) recorded, one sentence per difference; the recorded
/// state itself missing or altered is a difference too. With no catalogue entry, any catalogue
/// at all is one.
pub(super) async fn unrecorded_changes(
    db: &impl ConnectionTrait,
    recorded: Option<(i64, &str)>,
    found: &Catalog,
) -> Result<Vec<String>, StoreError> {
    let found = canonical_catalog(found);
    let Some((seq, content_hash)) = recorded else {
        if found == canonical_catalog(&Catalog::default()) {
            return Ok(Vec::new());
        }
        return Ok(vec![
            "the catalogue tables hold a catalogue that no entry of the audit log records".into(),
        ]);
    };
    let Some(state) = catalog_state::Entity::find_by_id(seq).one(db).await? else {
        return Ok(vec![format!(
            "the catalogue state that entry {seq} recorded is no longer stored"
        )]);
    };
    if sha256_hex(state.state.as_bytes()) != content_hash {
        return Ok(vec![format!(
            "the catalogue state stored for entry {seq} is not the one it recorded: it was altered"
        )]);
    }
    Ok(catalog_differences(&state.state, &found)
        .into_iter()
        .map(|difference| {
            format!("the catalogue changed since entry {seq} recorded it: {difference}")
        })
        .collect())
}

/// One organisation of `catalog` as the catalogue's canonical state holds it: its lifetime,
/// versions and the links to its predecessors.
fn canonical_organization(catalog: &Catalog, organization: &Organization) -> Value {
    let date = |date: Option<chrono::NaiveDate>| date.map(|date| date.to_string());
    let versions: Vec<Value> = organization
        .versions
        .iter()
        .map(|version| {
            json!({
                "valid_from": date(version.valid_from),
                "valid_until": date(version.valid_until),
                "name": version.name,
                "province": version.province_code,
                "governing_body": version.governing_body_code,
                "agency_type": version.agency_type.map(|t| t.as_str()),
                "publishes_electronic_press": version.publishes_electronic_press,
            })
        })
        .collect();
    // A list, not a map by predecessor: a second link to the same predecessor (which would change
    // what the organisation is made of) must show.
    let predecessors: Vec<Value> = catalog
        .links_to(&organization.code)
        .iter()
        .map(|link| {
            json!({
                "code": link.predecessor_code,
                "effective_on": link.effective_on.to_string(),
                "kind": link.kind.as_str(),
            })
        })
        .collect();
    json!({
        "kind": organization.kind.as_str(),
        "valid_from": date(organization.valid_from),
        "valid_until": date(organization.valid_until),
        "illustrative": organization.illustrative,
        "note": organization.note,
        "versions": versions,
        "predecessors": predecessors,
    })
}

/// Where two catalogue states (written by [`canonical_catalog`]) differ, one line per difference:
/// `periods.2024.deadline: recorded "2024-11-14T17:00:00.000000Z", found "…"`.
fn catalog_differences(recorded: &str, found: &str) -> Vec<String> {
    let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
    let mut differences = Vec::new();
    differ("", &parse(recorded), &parse(found), &mut differences);
    differences
}

fn differ(path: &str, recorded: &Value, found: &Value, differences: &mut Vec<String>) {
    let at = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match (recorded, found) {
        (Value::Object(recorded), Value::Object(found)) => {
            for (key, value) in recorded {
                match found.get(key) {
                    Some(other) => differ(&at(key), value, other, differences),
                    None => differences.push(format!("{}: recorded, no longer found", at(key))),
                }
            }
            for key in found.keys().filter(|key| !recorded.contains_key(*key)) {
                differences.push(format!("{}: found, never recorded", at(key)));
            }
        }
        (Value::Array(recorded), Value::Array(found)) if recorded.len() == found.len() => {
            for (index, (value, other)) in recorded.iter().zip(found).enumerate() {
                // An entry that has a code is named by it: predecessors[ptth-nam-dinh].
                let name = match (value.get("code"), other.get("code")) {
                    (Some(Value::String(code)), Some(Value::String(same))) if code == same => {
                        code.clone()
                    }
                    _ => index.to_string(),
                };
                differ(&format!("{path}[{name}]"), value, other, differences);
            }
        }
        (Value::Array(recorded), Value::Array(found)) => {
            // Entries added or removed: name each, rather than two long lists.
            let mut unmatched: Vec<&Value> = found.iter().collect();
            for value in recorded {
                match unmatched.iter().position(|other| *other == value) {
                    Some(index) => {
                        unmatched.remove(index);
                    }
                    None => differences.push(format!("{path}: recorded {value}, no longer found")),
                }
            }
            for value in unmatched {
                differences.push(format!("{path}: found {value}, never recorded"));
            }
        }
        _ if recorded == found => {}
        _ => {
            let shown = |value: &Value| {
                let text = value.to_string();
                if text.chars().count() > 120 {
                    format!("{}…", text.chars().take(120).collect::<String>())
                } else {
                    text
                }
            };
            differences.push(format!(
                "{path}: recorded {}, found {}",
                shown(recorded),
                shown(found)
            ));
        }
    }
}

/// Appends `record` to the audit log with the catalogue's state, as `transaction` now holds it,
/// as its content: the hash in the entry, the text in `catalog_state` under the entry's number.
pub(super) async fn record_state(
    transaction: &impl ConnectionTrait,
    mut record: AuditRecord,
) -> Result<(), StoreError> {
    let state = canonical_catalog(&load_catalog(transaction).await?);
    record.content_hash = sha256_hex(state.as_bytes());
    let head = audit_chain::append(transaction, &[record], Utc::now()).await?;
    catalog_state::Model {
        seq: head.seq,
        state,
    }
    .into_active_model()
    .insert(transaction)
    .await?;
    Ok(())
}

/// Takes an organisation out of the catalogue tables, keeping its entry in
/// `withdrawn_organization`: refused if reports were stored for it (retire it with `valid_until`
/// instead, which keeps them counted where they belong) or if anything left in the catalogue
/// still refers to it.
async fn withdraw(
    transaction: &DatabaseTransaction,
    withdrawal: &Withdrawal,
) -> Result<(), StoreError> {
    let code = withdrawal.code.as_str();
    let refused =
        |why: String| StoreError::ImportRefused(format!("cannot withdraw {code:?}: {why}"));
    let catalog = load_catalog(transaction).await?;
    let Some(organization) = catalog.organization(code) else {
        return Err(refused("the catalogue has no such organisation".into()));
    };
    let reports = submission::Entity::find()
        .filter(submission::Column::AgencyCode.eq(code))
        .count(transaction)
        .await?;
    if reports > 0 {
        return Err(refused(format!(
            "{reports} report(s) are stored for it; retire it instead (valid_until), which keeps \
             them counted where they belong"
        )));
    }
    let mut referring: Vec<&str> = catalog
        .organizations
        .iter()
        .filter(|other| {
            other.versions.iter().any(|version| {
                version.province_code.as_deref() == Some(code)
                    || version.governing_body_code.as_deref() == Some(code)
            })
        })
        .map(|other| other.code.as_str())
        .chain(
            catalog
                .links
                .iter()
                .filter(|link| link.predecessor_code == code)
                .map(|link| link.successor_code.as_str()),
        )
        .chain(
            catalog
                .plans
                .iter()
                .filter(|plan| plan.province_code.as_deref() == Some(code))
                .map(|plan| plan.code.as_str()),
        )
        .collect();
    referring.sort_unstable();
    referring.dedup();
    if !referring.is_empty() {
        return Err(refused(format!(
            "{} still refer(s) to it; change or withdraw them in the same file",
            referring.join(", ")
        )));
    }
    let entry = canonical_organization(&catalog, organization);
    organization::Entity::delete_by_id(code)
        .exec(transaction)
        .await?;
    organization_version::Entity::delete_many()
        .filter(organization_version::Column::OrganizationCode.eq(code))
        .exec(transaction)
        .await?;
    organization_link::Entity::delete_many()
        .filter(organization_link::Column::SuccessorCode.eq(code))
        .exec(transaction)
        .await?;
    withdrawn_organization::Model {
        code: code.to_string(),
        note: withdrawal.note.clone(),
        withdrawn_at: Utc::now(),
        entry: entry.to_string(),
    }
    .into_active_model()
    .insert(transaction)
    .await?;
    Ok(())
}

/// An organisation keyed by its code, with the links to its predecessors: what an organisation
/// entry of a catalogue file says, and so what is compared to tell whether it changed.
fn with_predecessors<'a>(
    catalog: &'a Catalog,
    organization: &'a Organization,
) -> (&'a str, (&'a Organization, Vec<&'a OrganizationLink>)) {
    let predecessors = catalog
        .links
        .iter()
        .filter(|link| link.successor_code == organization.code)
        .collect();
    (organization.code.as_str(), (organization, predecessors))
}

/// The incoming entries that are new or differ from the current ones, keyed by code; counts them,
/// the unchanged ones, and the current ones the incoming set does not mention.
fn changes<'a, T: PartialEq>(
    incoming: impl Iterator<Item = (&'a str, T)>,
    current: impl Iterator<Item = (&'a str, T)>,
    counts: &mut ImportCounts,
) -> Vec<T> {
    let mut current: HashMap<&str, T> = current.collect();
    let mut changed = Vec::new();
    for (code, entry) in incoming {
        match current.remove(code) {
            None => {
                counts.added.push(code.to_string());
                changed.push(entry);
            }
            Some(existing) if existing == entry => counts.unchanged += 1,
            Some(_) => {
                counts.changed.push(code.to_string());
                changed.push(entry);
            }
        }
    }
    counts.kept = current.len();
    changed
}

pub(super) async fn load_catalog(db: &impl ConnectionTrait) -> Result<Catalog, StoreError> {
    let periods = period::Entity::find()
        .order_by_asc(period::Column::WindowStart)
        .order_by_asc(period::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(period_from_row)
        .collect::<Result<_, _>>()?;
    let indicators = indicator::Entity::find()
        .order_by_asc(indicator::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(indicator_from_row)
        .collect::<Result<_, _>>()?;

    let (organizations, links) = load_organizations(db).await?;

    let mut plans = Vec::new();
    for plan_row in plan::Entity::find()
        .order_by_asc(plan::Column::Code)
        .all(db)
        .await?
    {
        plans.push(load_plan(db, plan_row).await?);
    }
    let withdrawn = withdrawn_organization::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|row| Withdrawal {
            code: row.code,
            note: row.note,
        })
        .collect::<Vec<_>>();
    let mut withdrawn = withdrawn;
    withdrawn.sort_by(|a, b| a.code.cmp(&b.code));
    let plausibility = plausibility_rule::Entity::find()
        .order_by_asc(plausibility_rule::Column::Position)
        .order_by_asc(plausibility_rule::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            serde_json::from_str::<PlausibilityRule>(&row.rule).map_err(|error| {
                StoreError::Corrupt(format!("plausibility rule {:?}: {error}", row.code))
            })
        })
        .collect::<Result<_, _>>()?;
    let maturity_frameworks = maturity_framework::Entity::find()
        .order_by_asc(maturity_framework::Column::Position)
        .order_by_asc(maturity_framework::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            serde_json::from_str::<Framework>(&row.framework).map_err(|error| {
                StoreError::Corrupt(format!("maturity framework {:?}: {error}", row.code))
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(Catalog {
        periods,
        indicators,
        organizations,
        links,
        plans,
        withdrawn,
        plausibility,
        maturity_frameworks,
    })
}

/// Every organisation, sorted by code, and every link between them.
async fn load_organizations(
    db: &impl ConnectionTrait,
) -> Result<(Vec<Organization>, Vec<OrganizationLink>), StoreError> {
    let mut versions_by_code: HashMap<String, Vec<organization_version::Model>> = HashMap::new();
    for version in organization_version::Entity::find().all(db).await? {
        versions_by_code
            .entry(version.organization_code.clone())
            .or_default()
            .push(version);
    }
    let mut organizations = organization::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let versions = versions_by_code.remove(&row.code).unwrap_or_default();
            organization_from_rows(row, versions)
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Sorted here, not by the database, whose collation may not order strings byte by byte:
    // lookups binary-search this order and page tokens compare codes with it.
    organizations.sort_by(|a, b| a.code.cmp(&b.code));
    let mut links: Vec<OrganizationLink> = organization_link::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(link_from_row)
        .collect::<Result<_, _>>()?;
    links.sort();
    Ok((organizations, links))
}

async fn load_plan(db: &impl ConnectionTrait, row: plan::Model) -> Result<Plan, StoreError> {
    let mut milestones_by_target: HashMap<String, Vec<Milestone>> = HashMap::new();
    for milestone in milestone::Entity::find()
        .filter(milestone::Column::PlanCode.eq(row.code.as_str()))
        .order_by_asc(milestone::Column::Year)
        .all(db)
        .await?
    {
        let as_bp = |value: i32| {
            u32::try_from(value).map_err(|_| corrupt("basis points", &value.to_string()))
        };
        milestones_by_target
            .entry(milestone.target_code.clone())
            .or_default()
            .push(Milestone {
                year: milestone.year,
                required_share_bp: as_bp(milestone.required_share_bp)?,
                parameter_bp: milestone.parameter_bp.map(as_bp).transpose()?,
            });
    }
    let targets = target::Entity::find()
        .filter(target::Column::PlanCode.eq(row.code.as_str()))
        .order_by_asc(target::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|target_row| {
            Ok(Target {
                rule: serde_json::from_str(&target_row.rule)
                    .map_err(|error| StoreError::Corrupt(format!("target rule: {error}")))?,
                milestones: milestones_by_target
                    .remove(&target_row.code)
                    .unwrap_or_default(),
                code: target_row.code,
                name: target_row.name,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    let tasks = plan_task::Entity::find()
        .filter(plan_task::Column::PlanCode.eq(row.code.as_str()))
        .order_by_asc(plan_task::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|task_row| {
            serde_json::from_str::<Task>(&task_row.task)
                .map_err(|error| StoreError::Corrupt(format!("task {:?}: {error}", task_row.code)))
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(Plan {
        code: row.code,
        name: row.name,
        decision: row.decision,
        issued_on: row.issued_on,
        province_code: row.province_code,
        targets,
        tasks,
    })
}

async fn insert_plan(db: &impl ConnectionTrait, plan: &Plan) -> Result<(), StoreError> {
    plan::Model {
        code: plan.code.clone(),
        name: plan.name.clone(),
        decision: plan.decision.clone(),
        issued_on: plan.issued_on,
        province_code: plan.province_code.clone(),
    }
    .into_active_model()
    .insert(db)
    .await?;
    for (position, target) in plan.targets.iter().enumerate() {
        let mut row = target::ActiveModel::new();
        row.plan_code = sea_orm::Set(plan.code.clone());
        row.code = sea_orm::Set(target.code.clone());
        row.position = sea_orm::Set(position_of(position));
        row.name = sea_orm::Set(target.name.clone());
        row.rule = sea_orm::Set(
            serde_json::to_string(&target.rule)
                .map_err(|error| StoreError::Corrupt(format!("target rule: {error}")))?,
        );
        row.insert(db).await?;
        for milestone in &target.milestones {
            let mut row = milestone::ActiveModel::new();
            row.plan_code = sea_orm::Set(plan.code.clone());
            row.target_code = sea_orm::Set(target.code.clone());
            row.year = sea_orm::Set(milestone.year);
            // Shares are at most 10 000 basis points: checked when the catalogue was parsed.
            row.required_share_bp = sea_orm::Set(milestone.required_share_bp as i32);
            row.parameter_bp = sea_orm::Set(milestone.parameter_bp.map(|bp| bp as i32));
            row.insert(db).await?;
        }
    }
    for (position, task) in plan.tasks.iter().enumerate() {
        let mut row = plan_task::ActiveModel::new();
        row.plan_code = sea_orm::Set(plan.code.clone());
        row.code = sea_orm::Set(task.code.clone());
        row.position = sea_orm::Set(position_of(position));
        row.task = sea_orm::Set(
            serde_json::to_string(task)
                .map_err(|error| StoreError::Corrupt(format!("task: {error}")))?,
        );
        row.insert(db).await?;
    }
    Ok(())
}

fn plausibility_rule_to_row(
    rule: &PlausibilityRule,
    position: usize,
) -> Result<plausibility_rule::Model, StoreError> {
    Ok(plausibility_rule::Model {
        code: rule.code.clone(),
        position: position_of(position),
        rule: serde_json::to_string(rule)
            .map_err(|error| StoreError::Corrupt(format!("plausibility rule: {error}")))?,
    })
}

fn maturity_framework_to_row(
    framework: &Framework,
    position: usize,
) -> Result<maturity_framework::Model, StoreError> {
    Ok(maturity_framework::Model {
        code: framework.code.clone(),
        position: position_of(position),
        framework: serde_json::to_string(framework)
            .map_err(|error| StoreError::Corrupt(format!("maturity framework: {error}")))?,
    })
}

fn position_of(index: usize) -> i32 {
    i32::try_from(index).unwrap_or(i32::MAX)
}

fn period_from_row(row: period::Model) -> Result<Period, StoreError> {
    Ok(Period {
        code: row.code,
        year: row.year,
        window_start: row.window_start,
        window_end: row.window_end,
        deadline: row.deadline,
        closes_at: row.closes_at,
    })
}

fn period_to_row(period: &Period) -> period::Model {
    period::Model {
        code: period.code.clone(),
        year: period.year,
        window_start: period.window_start,
        window_end: period.window_end,
        deadline: period.deadline,
        closes_at: period.closes_at,
    }
}

fn indicator_from_row(row: indicator::Model) -> Result<Indicator, StoreError> {
    Ok(Indicator {
        indicator_type: IndicatorType::parse(&row.indicator_type)
            .ok_or_else(|| corrupt("indicator type", &row.indicator_type))?,
        code: row.code,
        name: row.name,
        description: row.description,
        unit: row.unit,
        min: row.min_value,
        max: row.max_value,
        required: row.required,
    })
}

fn indicator_to_row(indicator: &Indicator, position: usize) -> indicator::Model {
    indicator::Model {
        code: indicator.code.clone(),
        position: position_of(position),
        name: indicator.name.clone(),
        description: indicator.description.clone(),
        indicator_type: indicator.indicator_type.as_str().to_string(),
        unit: indicator.unit.clone(),
        min_value: indicator.min,
        max_value: indicator.max,
        required: indicator.required,
    }
}

fn organization_from_rows(
    row: organization::Model,
    mut version_rows: Vec<organization_version::Model>,
) -> Result<Organization, StoreError> {
    // Oldest first; an open start sorts before any date.
    version_rows.sort_by_key(|version| version.valid_from);
    let versions = version_rows
        .into_iter()
        .map(|version| {
            Ok(OrganizationVersion {
                valid_from: version.valid_from,
                valid_until: version.valid_until,
                name: version.name,
                province_code: version.province_code,
                governing_body_code: version.governing_body_code,
                agency_type: version
                    .agency_type
                    .map(|text| {
                        AgencyType::parse(&text).ok_or_else(|| corrupt("agency type", &text))
                    })
                    .transpose()?,
                publishes_electronic_press: version.publishes_electronic_press,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    if versions.is_empty() {
        return Err(StoreError::Corrupt(format!(
            "organisation {:?} has no version",
            row.code
        )));
    }
    Ok(Organization {
        kind: OrganizationKind::parse(&row.kind)
            .ok_or_else(|| corrupt("organisation kind", &row.kind))?,
        code: row.code,
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        versions,
        illustrative: row.illustrative,
        note: row.note,
    })
}

fn organization_to_row(organization: &Organization) -> organization::Model {
    organization::Model {
        code: organization.code.clone(),
        kind: organization.kind.as_str().to_string(),
        valid_from: organization.valid_from,
        valid_until: organization.valid_until,
        illustrative: organization.illustrative,
        note: organization.note.clone(),
    }
}

fn version_to_row(code: &str, version: &OrganizationVersion) -> organization_version::ActiveModel {
    let mut row = organization_version::ActiveModel::new();
    row.organization_code = sea_orm::Set(code.to_string());
    row.valid_from = sea_orm::Set(version.valid_from);
    row.valid_until = sea_orm::Set(version.valid_until);
    row.name = sea_orm::Set(version.name.clone());
    row.province_code = sea_orm::Set(version.province_code.clone());
    row.governing_body_code = sea_orm::Set(version.governing_body_code.clone());
    row.agency_type = sea_orm::Set(version.agency_type.map(|t| t.as_str().to_string()));
    row.publishes_electronic_press = sea_orm::Set(version.publishes_electronic_press);
    row
}

fn link_from_row(row: organization_link::Model) -> Result<OrganizationLink, StoreError> {
    Ok(OrganizationLink {
        kind: LinkKind::parse(&row.kind).ok_or_else(|| corrupt("link kind", &row.kind))?,
        predecessor_code: row.predecessor_code,
        successor_code: row.successor_code,
        effective_on: row.effective_on,
    })
}

fn link_to_row(link: &OrganizationLink) -> organization_link::ActiveModel {
    let mut row = organization_link::ActiveModel::new();
    row.predecessor_code = sea_orm::Set(link.predecessor_code.clone());
    row.successor_code = sea_orm::Set(link.successor_code.clone());
    row.effective_on = sea_orm::Set(link.effective_on);
    row.kind = sea_orm::Set(link.kind.as_str().to_string());
    row
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog_file::{self, DEFAULT_CATALOG};

    /// Likewise for tasks: a plan without tasks is recorded with the keys it had before them.
    #[test]
    fn a_plan_without_tasks_has_the_state_it_had_before_them() {
        let mut catalog = catalog_file::parse(DEFAULT_CATALOG).unwrap();
        assert!(canonical_catalog(&catalog).contains("\"tasks\""));
        for plan in &mut catalog.plans {
            plan.tasks.clear();
        }
        let parsed: Value = serde_json::from_str(&canonical_catalog(&catalog)).unwrap();
        let plan = &parsed["plans"]["national-348-qd-ttg"];
        let keys: Vec<_> = plan.as_object().unwrap().keys().cloned().collect();
        // (A national plan's province is null, which the canonical form leaves out.)
        assert_eq!(keys, ["decision", "issued_on", "name", "targets"]);
    }

    /// A database whose catalogue was recorded before frameworks existed has none, and recorded a
    /// state without the key: the same catalogue must still give the same state, or every such
    /// database would fail `audit verify` after the upgrade.
    #[test]
    fn a_catalogue_without_frameworks_has_the_state_it_had_before_them() {
        let mut catalog = catalog_file::parse(DEFAULT_CATALOG).unwrap();
        assert!(canonical_catalog(&catalog).contains("\"maturity_frameworks\""));
        catalog.maturity_frameworks.clear();
        let parsed: Value = serde_json::from_str(&canonical_catalog(&catalog)).unwrap();
        let keys: Vec<_> = parsed.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "form",
                "indicators",
                "organizations",
                "periods",
                "plans",
                "plausibility"
            ]
        );
    }
}
