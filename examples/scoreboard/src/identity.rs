//! Who is signed in: the user a session belongs to, as pages and shells see them.

use serde::{Deserialize, Serialize};

/// The signed-in user, as the shells show them (it travels to the browser in the shared state,
/// so it holds nothing secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthenticationContext {
    /// The user's id.
    pub user_id: i64,
    /// Normalised email.
    pub email: String,
    /// A display name, if they have one.
    pub display_name: Option<String>,
}

/// Emails are compared trimmed and lowercased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A display name trimmed; blank is no name.
pub fn normalize_display_name(name: &str) -> Option<String> {
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

/// What to call the user: their name, else their email.
pub fn display_label(context: &AuthenticationContext) -> &str {
    context.display_name.as_deref().unwrap_or(&context.email)
}

/// A user as the server knows them: who they are and their role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedUser {
    /// What the pages see.
    pub context: AuthenticationContext,
    /// `admin` or `fan`.
    pub role: String,
}

impl AuthenticatedUser {
    /// Whether the user may open the score desk.
    pub fn can_access_admin(&self) -> bool {
        self.role == "admin"
    }
}

/// The user with this id (`None` when there is none or the database fails, which signs the
/// request out rather than in).
#[cfg(feature = "server")]
pub fn user_by_id(db: &crate::db::Db, user_id: i64) -> Option<AuthenticatedUser> {
    use crate::generated::sql::root_sql::user_by_id;
    let row = match db.read_sync(|conn| user_by_id(conn, user_id)) {
        Ok(row) => row?,
        Err(e) => {
            tracing::warn!(error = %e, user_id, "cannot read the signed-in user");
            return None;
        }
    };
    Some(AuthenticatedUser {
        context: AuthenticationContext {
            user_id: row.id,
            email: normalize_email(&row.email),
            display_name: row.display_name.as_deref().and_then(normalize_display_name),
        },
        role: row.role,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        assert_eq!(
            normalize_email("  Admin@Example.COM \n"),
            "admin@example.com"
        );
        assert_eq!(normalize_email("fan@example.com"), "fan@example.com");
        assert_eq!(normalize_email("   "), "");
    }

    #[test]
    fn display_names_are_trimmed_and_blank_is_none() {
        assert_eq!(normalize_display_name("  Fan "), Some("Fan".to_owned()));
        assert_eq!(normalize_display_name("   "), None);
        assert_eq!(normalize_display_name(""), None);
    }

    #[test]
    fn the_label_falls_back_to_the_email() {
        let mut context = AuthenticationContext {
            user_id: 1,
            email: "admin@example.com".into(),
            display_name: None,
        };
        assert_eq!(display_label(&context), "admin@example.com");
        context.display_name = Some("Ada".into());
        assert_eq!(display_label(&context), "Ada");
    }

    #[cfg(feature = "server")]
    #[test]
    fn seeded_users_are_found_by_id() {
        let db = crate::test_support::seeded_db();
        let admin = user_by_id(&db, 1).expect("admin");
        assert_eq!(admin.context.email, "admin@example.com");
        assert_eq!(admin.context.display_name, None);
        assert!(admin.can_access_admin());
        let fan = user_by_id(&db, 2).expect("fan");
        assert_eq!(fan.context.display_name.as_deref(), Some("Fan"));
        assert!(!fan.can_access_admin());
        assert_eq!(user_by_id(&db, 99), None);
    }
}
