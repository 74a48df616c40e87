//! Test support shared by the end-to-end tests and the bench.

pub mod chromium;
