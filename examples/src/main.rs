//! Example service (being built).
fn main() {}
