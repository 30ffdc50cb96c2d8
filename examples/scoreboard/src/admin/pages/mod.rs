//! The pages of the `admin` mount (`/admin`, `/admin/games`).

pub mod games;
pub mod home_;
pub mod not_found_;
