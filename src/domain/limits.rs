//! How much a request may carry: one limit per kind of field, each written into the proto comment
//! of every field it bounds (proto/pressdx/v1/submission.proto states the general rule). Lengths
//! are in Unicode characters (`str::chars`), as the proto counts them; a field over its limit is
//! one more field violation, never stored.

/// A request id chosen by the client: a UUID is 36 characters, so 128 leaves room for any scheme.
pub const MAX_REQUEST_ID_CHARS: usize = 128;

/// A code (crate::domain::formats::check_code): an organisation, period, plan, target, task,
/// criterion, choice or framework code. The catalogue's longest is under 30.
pub const MAX_CODE_CHARS: usize = 64;

/// A paragraph of words: a review's or a decision's reason, an appraisal's reason, a reopening's
/// reason, a correction reason, a task report's account and cancellation reason, a task's
/// expected output. A paragraph, not a document: documents go in the evidence.
pub const MAX_PARAGRAPH_CHARS: usize = 2_000;

/// A title: an evidence reference's title, the name of a task of an agency's plan.
pub const MAX_TITLE_CHARS: usize = 500;

/// A name or an identifier in another system's records: a digital platform's name, an evidence
/// reference's document id.
pub const MAX_NAME_CHARS: usize = 200;

/// A link (crate::domain::formats::check_link): what browsers and servers commonly accept.
pub const MAX_LINK_CHARS: usize = 2_000;

/// One section of a province report's narrative: a few pages.
pub const MAX_NARRATIVE_CHARS: usize = 20_000;

/// The field a reason is about ("report.trained.editors", "commitments[converged_newsroom/2025]"):
/// the longest path a request can name is well under it.
pub const MAX_FIELD_PATH_CHARS: usize = 200;

/// A content hash a client gives back: "sha256:" and 64 lowercase hex digits.
pub const MAX_CONTENT_HASH_CHARS: usize = 71;

/// Reasons of one review or one decision on an agency's plan.
pub const MAX_REASONS: usize = 100;

/// Digital platforms of one annual report.
pub const MAX_PLATFORMS: usize = 100;

/// Answers, and evidence references, of one self-assessment: one per criterion at most, and the
/// catalogue admits no framework with more criteria.
pub const MAX_CRITERIA: usize = 1_000;

/// Evidence references of one task progress report.
pub const MAX_TASK_EVIDENCE: usize = 20;

/// Commitments of one agency plan: a plan, not a bulk upload.
pub const MAX_COMMITMENTS: usize = 1_000;

/// Tasks of one agency plan.
pub const MAX_AGENCY_TASKS: usize = 500;

/// Digits before the decimal point of a number (crate::domain::formats::parse_decimal): enough for
/// any figure pressdx reads, few enough that a number never overflows.
pub const MAX_WHOLE_DIGITS: usize = 15;
