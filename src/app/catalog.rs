//! The catalogue as every face reads it: organisations, plans, periods, indicators, frameworks.
