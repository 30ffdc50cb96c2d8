//! What a save tells the other open tabs: the topics pages subscribe to and the events pushed
//! to them.
//!
//! One admin score change re-reads the game and publishes [`Event::GameUpdated`] to every topic
//! that shows it: the public lists (`games`), the other score desks (`admin:games`), that game's
//! page (`game:<id>`) and both teams' pages (`team:<slug>`).

use serde::{Deserialize, Serialize};

pub use crate::wire::{GameStatus, Team};

/// A topic a page can subscribe to; [`rally::broadcast::Topic::name`] is its stable key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topic {
    /// Every game (home, games and standings pages): `games`.
    AllGames,
    /// The score desk: `admin:games`.
    AdminGames,
    /// One game's page: `game:<id>`.
    Game(i64),
    /// One team's page, by slug: `team:<slug>`.
    Team(String),
}

impl rally::broadcast::Topic for Topic {
    fn name(&self) -> String {
        match self {
            Topic::AllGames => "games".to_owned(),
            Topic::AdminGames => "admin:games".to_owned(),
            Topic::Game(id) => format!("game:{id}"),
            Topic::Team(slug) => format!("team:{slug}"),
        }
    }
}

/// An event pushed to subscribers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// A game's score or status changed; this is the game as it is now.
    GameUpdated(GameSnapshot),
}

/// A game as broadcast: pages turn it into their own types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GameSnapshot {
    /// The game's id.
    pub id: i64,
    /// The home team.
    pub home: Team,
    /// The away team.
    pub away: Team,
    /// Home goals.
    pub home_score: i64,
    /// Away goals.
    pub away_score: i64,
    /// Scheduled, live or final.
    pub status: GameStatus,
}

/// An event and the topics it goes to.
pub type TargetedEvent = rally::broadcast::TargetedEvent<Topic, Event>;

/// Re-reads game `game_id` and addresses it to everything that shows it:
/// `[AllGames, AdminGames, Game(id), Team(home slug), Team(away slug)]`. `None` when the game
/// cannot be read (the save itself has already succeeded, so nothing is pushed).
#[cfg(feature = "server")]
pub fn game_updated_broadcast(db: &crate::db::Db, game_id: i64) -> Option<TargetedEvent> {
    use crate::generated::sql::public::pages::games::id__sql::get_game;
    let row = match db.read_sync(|conn| get_game(conn, game_id)) {
        Ok(row) => row?,
        Err(e) => {
            tracing::warn!(error = %e, game_id, "cannot read the game to broadcast it");
            return None;
        }
    };
    let home = Team {
        code: row.home_code,
        name: row.home_name,
        slug: row.home_slug,
    };
    let away = Team {
        code: row.away_code,
        name: row.away_name,
        slug: row.away_slug,
    };
    let topics = vec![
        Topic::AllGames,
        Topic::AdminGames,
        Topic::Game(row.id),
        Topic::Team(home.slug.clone()),
        Topic::Team(away.slug.clone()),
    ];
    let snapshot = GameSnapshot {
        id: row.id,
        home,
        away,
        home_score: row.home_score,
        away_score: row.away_score,
        status: GameStatus::from_row(&row.period, row.is_final),
    };
    Some(TargetedEvent::new(topics, Event::GameUpdated(snapshot)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rally::broadcast::Topic as _;

    #[test]
    fn topic_names_are_stable_keys() {
        assert_eq!(Topic::AllGames.name(), "games");
        assert_eq!(Topic::AdminGames.name(), "admin:games");
        assert_eq!(Topic::Game(7).name(), "game:7");
        assert_eq!(
            Topic::Team("montréal-meteors".into()).name(),
            "team:montréal-meteors"
        );
    }

    #[test]
    fn status_from_a_row() {
        assert_eq!(
            GameStatus::from_row("Scheduled", false),
            GameStatus::Scheduled
        );
        assert_eq!(
            GameStatus::from_row("3rd", false),
            GameStatus::Live("3rd".into())
        );
        assert_eq!(GameStatus::from_row("Scheduled", true), GameStatus::Final);
    }
}
