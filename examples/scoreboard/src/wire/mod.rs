//! The Scoreboard's shared wire types: what a game and a team look like to every page and to
//! the broadcasts, defined once. (Codegen lets types cross the wire from the page itself, from
//! `src/wire/` and from `src/broadcasts.rs`; these are used by all three kinds.)

use serde::{Deserialize, Serialize};

/// A game's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum GameStatus {
    /// Not started.
    Scheduled,
    /// Under way, in this period.
    Live(String),
    /// Over.
    Final,
}

impl GameStatus {
    /// The status stored in a game row: `final` wins, then the `Scheduled` period, else live.
    pub fn from_row(period: &str, is_final: bool) -> Self {
        if is_final {
            GameStatus::Final
        } else if period == "Scheduled" {
            GameStatus::Scheduled
        } else {
            GameStatus::Live(period.to_owned())
        }
    }
}

/// A team in a game.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    /// Three-letter code (`TOR`).
    pub code: String,
    /// Full name.
    pub name: String,
    /// The team page's slug.
    pub slug: String,
}
