//! `/teams/…` pages.

pub mod slug_;
