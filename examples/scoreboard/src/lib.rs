//! Rally Scoreboard (work in progress).
