//! The pages of the `public` mount; file names are routes (`home_` is `/`).

pub mod home_;
pub mod not_found_;
