//! The values the catalog repository (`store::catalog`) works with,
//! kept apart from it (see `store::values`).

/// Where a catalogue being applied came from: its text (the audit log keeps its SHA-256) and who
/// applied it.
#[derive(Debug, Clone, Copy)]
pub struct CatalogSource<'a> {
    pub text: &'a str,
    pub applied_by: &'a str,
    /// Apply it even if the catalogue tables were changed outside an import since the last one
    /// recorded them: the changes are then named in the import's audit entry. Without it such an
    /// import is refused, so that an import never records an edit as if it were its own.
    pub accept_unrecorded_changes: bool,
}
