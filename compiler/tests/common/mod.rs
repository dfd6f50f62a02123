//! Helpers shared by the integration tests of this crate.

#[allow(dead_code)] // each test binary uses what it needs
pub mod conv;
#[allow(dead_code)] // each test binary uses what it needs
pub mod models;
#[allow(dead_code)] // each test binary uses what it needs
pub mod mutation;
#[allow(dead_code)] // each test binary uses what it needs
pub mod random_network;
