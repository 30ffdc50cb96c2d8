//! The pages of the `public` mount; file names are routes (`home_` is `/`, `games/id_` is
//! `/games/:id`).

pub mod games;
pub mod home_;
pub mod me;
pub mod not_found_;
pub mod sign_in;
pub mod standings;
pub mod teams;
