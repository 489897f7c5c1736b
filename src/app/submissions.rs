//! Annual reports: the submit workflow (validation, request ids, lateness, the writer), and the
//! reads of kept submissions.
