//! How the writer stores a batch of valid submits: which are retries, which are refused, and
//! the revision each new one becomes, decided from what the database holds under the write lock.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::domain::period::Timeliness;
use crate::domain::submission::ValidSubmission;
use crate::store::{HeldForBatch, Revised, SubmitPlan};

/// What becomes of a submit whose request id was taken before by a submission of content hash
/// `taken_hash`: the same report again is a retry, replayed; another is refused. The one place
/// this is decided, for the writer's batches and for the look-ups before them alike.
pub fn request_id_taken<T>(taken: T, taken_hash: &str, content_hash: &str) -> Revised<T> {
    Revised::taken(taken, taken_hash == content_hash)
}

/// Plans a batch of valid submits, each in order as if submitted alone, from what the database
/// holds of it: a request id taken before (in the database, or earlier in the batch) is replayed
/// or refused; anything else becomes the next revision of its agency and period, late if
/// received after the period's deadline.
pub fn plan_batch(
    batch: &[(&ValidSubmission, DateTime<Utc>)],
    held: &HeldForBatch,
) -> Vec<SubmitPlan> {
    let mut latest_revisions = held.latest_revisions.clone();
    // Request ids stored by this batch: the index of the submit, and its content hash.
    let mut in_batch: HashMap<&str, (usize, &str)> = HashMap::new();
    let mut plans = Vec::with_capacity(batch.len());
    for (index, (valid, received_at)) in batch.iter().enumerate() {
        if let Some(existing) = held.earlier.get(&valid.request_id) {
            plans.push(SubmitPlan::TakenBefore(Box::new(request_id_taken(
                existing.clone(),
                &existing.content_hash,
                &valid.content_hash,
            ))));
            continue;
        }
        if let Some((first, content_hash)) = in_batch.get(valid.request_id.as_str()) {
            plans.push(SubmitPlan::TakenInBatch(request_id_taken(
                *first,
                content_hash,
                &valid.content_hash,
            )));
            continue;
        }
        let revision = latest_revisions
            .entry((valid.agency_code.clone(), valid.period.code.clone()))
            .or_default();
        *revision += 1;
        in_batch.insert(&valid.request_id, (index, &valid.content_hash));
        plans.push(SubmitPlan::New {
            revision: *revision,
            late: valid.period.timeliness(*received_at) == Timeliness::Late,
        });
    }
    plans
}
