//! What a page's server side answers with, on both targets: [`LoadError`] from `load`,
//! [`SaveError`] from `handle_save`, and their mapping to and from the wire's `ApiError`.
//!
//! The message is for the user; log the details on the server and never send a database
//! error's text to the browser:
//!
//! ```
//! use rally::page::{LoadError, SaveError};
//!
//! fn find_game(id: i64) -> Result<&'static str, LoadError> {
//!     match id {
//!         1 => Ok("MTL – TOR"),
//!         _ => Err(LoadError::not_found(format!("There is no game {id}."))),
//!     }
//! }
//!
//! let missing = find_game(9).unwrap_err();
//! assert_eq!((missing.status, missing.message.as_str()), (404, "There is no game 9."));
//! assert_eq!(LoadError::new("Could not read the games.").status, 500);
//!
//! let refused = SaveError::new("Game is final.");
//! assert_eq!(refused.message, "Game is final.");
//! ```

use std::fmt;

use rally_wire::ApiError;
use serde::{Deserialize, Serialize};

/// Why a page's data could not be loaded; the message is shown to the user, and the server
/// answers the first HTML with `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadError {
    /// What went wrong, for the user.
    pub message: String,
    /// The HTTP status of a server-rendered page whose load failed (500 unless set).
    pub status: u16,
}

/// Why a save was refused; the message is shown to the user, next to `field` if given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveError {
    /// The form field the error is about.
    pub field: Option<String>,
    /// What went wrong, for the user.
    pub message: String,
}

impl LoadError {
    /// A load error with `message`.
    pub fn new(message: impl Into<String>) -> Self {
        LoadError {
            message: message.into(),
            status: 500,
        }
    }

    /// A load error for something that does not exist: the server answers 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        LoadError {
            message: message.into(),
            status: 404,
        }
    }

    /// The first error of a failed request, as the page sees it.
    pub fn from_api(errors: Vec<ApiError>) -> Self {
        match errors.into_iter().next() {
            Some(ApiError::Load { message }) => LoadError::new(message),
            Some(other) => LoadError::new(other.to_string()),
            None => LoadError::new("Could not load the page."),
        }
    }
}

impl SaveError {
    /// A save error with `message`, about no field in particular.
    pub fn new(message: impl Into<String>) -> Self {
        SaveError {
            field: None,
            message: message.into(),
        }
    }

    /// A save error about `field`.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        SaveError {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// The first error of a failed request, as the page sees it.
    pub fn from_api(errors: Vec<ApiError>) -> Self {
        match errors.into_iter().next() {
            Some(ApiError::Save { field, message }) => SaveError { field, message },
            Some(other) => SaveError::new(other.to_string()),
            None => SaveError::new("Could not save."),
        }
    }
}

impl From<LoadError> for ApiError {
    fn from(e: LoadError) -> Self {
        ApiError::Load { message: e.message }
    }
}

impl From<SaveError> for ApiError {
    fn from(e: SaveError) -> Self {
        ApiError::Save {
            field: e.field,
            message: e.message,
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for SaveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for LoadError {}
impl std::error::Error for SaveError {}

/// Who may open a page: a page's `pub const ACCESS: Access` (default [`Access::Public`]).
///
/// A page that also defines `authorize` needs a signed-in user whatever `ACCESS` says: the
/// predicate is over the identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Access {
    /// Everyone who may use the mount.
    #[default]
    Public,
    /// Signed-in users only: anonymous visitors are sent to the sign-in page.
    SignedIn,
}

/// What a page puts in the document's `<head>`: its `pub fn head(model: &Model) -> Head`.
///
/// The server writes it into the first HTML; the browser sets `document.title` after every
/// navigation and update that changes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Head {
    /// The `<title>`; `None` keeps the app's title.
    pub title: Option<String>,
    /// The `<meta name="description">`.
    pub description: Option<String>,
}

impl Head {
    /// A head with a title.
    pub fn title(title: impl Into<String>) -> Self {
        Head {
            title: Some(title.into()),
            description: None,
        }
    }

    /// Adds a meta description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_map_to_what_the_page_shows() {
        let load = vec![ApiError::Load {
            message: "No such game.".into(),
        }];
        assert_eq!(LoadError::from_api(load), LoadError::new("No such game."));
        assert_eq!(
            LoadError::from_api(vec![ApiError::Unauthorized]).message,
            "Unauthorized."
        );
        assert_eq!(
            LoadError::from_api(vec![]).message,
            "Could not load the page."
        );
        let save = vec![ApiError::Save {
            field: Some("name".into()),
            message: "Taken.".into(),
        }];
        assert_eq!(
            SaveError::from_api(save),
            SaveError::field("name", "Taken.")
        );
        let timeout = SaveError::from_api(vec![ApiError::Timeout]);
        assert_eq!(
            timeout,
            SaveError::new("The server did not answer within 30 seconds.")
        );
        assert_eq!(
            ApiError::from(SaveError::new("No.")),
            ApiError::Save {
                field: None,
                message: "No.".into()
            }
        );
    }
}
