//! The server (placeholder until the app is generated).

fn main() {}
