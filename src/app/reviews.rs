//! The province's reviews of its agencies' reports, and the reopening of a closed period.
