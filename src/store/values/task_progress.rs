//! The values the task progress repository (`store::task_progress`) works with,
//! kept apart from it (see `store::values`).

/// A revision to store.
#[derive(Debug, Clone)]
pub struct NewTaskProgress<'a> {
    pub plan_code: &'a str,
    pub task_code: &'a str,
    pub period_code: &'a str,
    pub reporter_code: &'a str,
    pub request_id: &'a str,
    pub content: Vec<u8>,
    pub content_hash: &'a str,
    pub submitted_by: &'a str,
}
