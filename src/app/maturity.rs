//! The maturity index: self-assessments, their appraisals, and the results and rankings of a
//! scope.
