//! Group commit: submits that arrive while a commit is under way are stored together in the next
//! transaction, so that many reports share one sync to disk. Each is still answered only after
//! the commit that holds it, and each keeps its own meaning, as [`plan_batch`] decides.

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};

use super::submissions::batch::plan_batch;
use crate::domain::submission::ValidSubmission;
use crate::store::{Revised, Store, StoreError, StoredSubmission};

/// The most submits one commit carries.
const MAX_GROUP: usize = 128;
/// How many submits may wait for the writer.
const QUEUE: usize = 1024;

/// What became of one submit handed to the store.
pub type Outcome = Result<Revised<StoredSubmission>, StoreError>;

/// Hands submits to the one task of this process that writes them.
#[derive(Clone)]
pub struct SubmissionWriter {
    queue: mpsc::Sender<Job>,
}

struct Job {
    valid: ValidSubmission,
    received_at: DateTime<Utc>,
    reply: oneshot::Sender<Outcome>,
}

impl SubmissionWriter {
    /// Starts the writing task; it ends when every writer handle is gone.
    pub fn spawn(store: Store) -> SubmissionWriter {
        let (queue, jobs) = mpsc::channel(QUEUE);
        tokio::spawn(write_groups(store, jobs));
        SubmissionWriter { queue }
    }

    /// Stores a checked submission with whatever else is waiting, and answers once committed.
    pub async fn submit(&self, valid: ValidSubmission, received_at: DateTime<Utc>) -> Outcome {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            valid,
            received_at,
            reply,
        };
        let stopped = || StoreError::Unavailable("the submission writer has stopped".into());
        self.queue.send(job).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn write_groups(store: Store, mut jobs: mpsc::Receiver<Job>) {
    while let Some(first) = jobs.recv().await {
        // Everything that queued up during the previous commit goes into this one.
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let batch: Vec<_> = group
            .iter()
            .map(|job| (&job.valid, job.received_at))
            .collect();
        let outcomes = store_each_answered(&store, &batch).await;
        for (job, outcome) in group.into_iter().zip(outcomes) {
            let _ = job.reply.send(outcome);
        }
    }
}

/// Stores `batch` in one transaction, each submit in order as if submitted alone. Should the
/// transaction fail, nothing of it was stored: each submit then gets its own attempt, and its
/// own answer, so that one bad submit (or a passing failure) does not refuse its neighbours.
pub async fn store_each_answered(
    store: &Store,
    batch: &[(&ValidSubmission, DateTime<Utc>)],
) -> Vec<Outcome> {
    match store.store_submissions(batch, plan_batch).await {
        Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
        Err(_) => {
            let mut outcomes = Vec::with_capacity(batch.len());
            for submit in batch {
                outcomes.push(store_alone(store, *submit).await);
            }
            outcomes
        }
    }
}

/// Stores one submit in a transaction of its own.
async fn store_alone(store: &Store, submit: (&ValidSubmission, DateTime<Utc>)) -> Outcome {
    store
        .store_submissions(&[submit], plan_batch)
        .await?
        .pop()
        .ok_or_else(|| StoreError::Corrupt("a batch of one gave no outcome".into()))
}
