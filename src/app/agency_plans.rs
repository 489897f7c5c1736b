//! Agency plans: an agency's own plan against a catalogue plan, its revisions, and its governing
//! body's decisions.
