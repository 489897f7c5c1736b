//! Group commit: submits that arrive while a commit is under way are stored together in the next
//! transaction, so that many reports share one sync to disk. Each is still answered only after
//! the commit that holds it, and each keeps its own meaning (see [`Store::store_submissions`]).

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};

use super::{Store, StoreError, SubmitOutcome};
use crate::domain::submission::ValidSubmission;

/// The most submits one commit carries.
const MAX_GROUP: usize = 128;
/// How many submits may wait for the writer.
const QUEUE: usize = 1024;

/// Hands submits to the one task of this process that writes them.
#[derive(Clone)]
pub struct SubmissionWriter {
    queue: mpsc::Sender<Job>,
}

struct Job {
    valid: ValidSubmission,
    received_at: DateTime<Utc>,
    reply: oneshot::Sender<Result<SubmitOutcome, StoreError>>,
}

impl SubmissionWriter {
    /// Starts the writing task; it ends when every writer handle is gone.
    pub fn spawn(store: Store) -> SubmissionWriter {
        let (queue, jobs) = mpsc::channel(QUEUE);
        tokio::spawn(write_groups(store, jobs));
        SubmissionWriter { queue }
    }

    /// Stores a checked submission with whatever else is waiting, and answers once committed.
    pub async fn submit(
        &self,
        valid: ValidSubmission,
        received_at: DateTime<Utc>,
    ) -> Result<SubmitOutcome, StoreError> {
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
        match store.store_submissions(&batch).await {
            Ok(outcomes) => {
                for (job, outcome) in group.into_iter().zip(outcomes) {
                    let _ = job.reply.send(Ok(outcome));
                }
            }
            // Nothing of the group was stored: each submit gets its own attempt and answer.
            Err(_) => {
                for job in group {
                    let outcome = store.store_submission(&job.valid, job.received_at).await;
                    let _ = job.reply.send(outcome);
                }
            }
        }
    }
}
