//! The province's yearly report: drafting from the figures, the narrative, signing and reading.
