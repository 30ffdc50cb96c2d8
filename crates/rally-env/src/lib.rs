//! Configuration from the environment: the process environment first, then `./.env`.
//!
//! `APP_ENV` chooses [`AppEnv::Production`] (`prod` or `production`, any case) or
//! [`AppEnv::Development`] (anything else, or unset). Production means `Secure` cookies and a
//! session key that must be set (`SECRET_KEY_BASE`). Invalid values are errors that say what to
//! do:
//!
//! ```
//! use rally_env::Env;
//!
//! let env = Env::from_pairs([("PORT", "abc"), ("APP_ENV", "Prod")]);
//! assert!(env.app_env().is_production());
//! assert_eq!(
//!     env.port(8080).unwrap_err().to_string(),
//!     "Invalid PORT value: abc. Set PORT to an integer, for example PORT=8080."
//! );
//! ```
//!
//! `.env` is read with `dotenvy` (feature `dotenv`, on by default) and never written into the
//! process environment; without it (the browser) only the process environment is consulted,
//! which there is empty. The runtime (`rally::env`) and the CLI (`cargo rally`) both read their
//! configuration here, with this one precedence rule and this one error type.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;

/// The port a server listens on when neither `ADDR` nor `PORT` says otherwise.
pub const DEFAULT_PORT: u16 = 8080;

/// The environment an app runs in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AppEnv {
    /// Local development (the default).
    #[default]
    Development,
    /// Production: `Secure` cookies, a required session key.
    Production,
}

impl AppEnv {
    /// `prod`/`production` (case-insensitive, surrounding spaces ignored) → production;
    /// anything else, or nothing → development.
    pub fn parse(value: Option<&str>) -> Self {
        match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            Some("prod" | "production") => AppEnv::Production,
            _ => AppEnv::Development,
        }
    }

    /// Whether this is production.
    pub fn is_production(self) -> bool {
        self == AppEnv::Production
    }

    /// Whether this is development.
    pub fn is_dev(self) -> bool {
        self == AppEnv::Development
    }

    /// Upstream's names: `dev` or `prod`.
    pub fn name(self) -> &'static str {
        match self {
            AppEnv::Development => "dev",
            AppEnv::Production => "prod",
        }
    }

    /// Whether cookies get `Secure` (production only).
    pub fn secure_cookies(self) -> bool {
        self.is_production()
    }
}

/// A configuration value that cannot be used, with what to do about it.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A variable's value has the wrong form.
    #[error(
        "Invalid {name} value: {value}. Set {name} to {expected}, for example {name}={example}."
    )]
    Invalid {
        /// The variable.
        name: String,
        /// Its value.
        value: String,
        /// What it should be ("an integer").
        expected: String,
        /// A valid value.
        example: String,
    },
    /// A required variable is missing.
    #[error("{name} is not set. {hint}")]
    Missing {
        /// The variable.
        name: String,
        /// What to set it to.
        hint: String,
    },
    /// The `.env` file cannot be read.
    #[error("Cannot read {path}: {message}. Fix the line (NAME=value) or remove the file.")]
    DotEnv {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// A snapshot of the `.env` file plus (unless built with [`Env::from_pairs`]) live reads of the
/// process environment, which wins.
#[derive(Clone, Debug, Default)]
pub struct Env {
    dotenv: HashMap<String, String>,
    use_process: bool,
}

impl Env {
    /// The process environment and `./.env` (missing file: just the process environment).
    pub fn load() -> Result<Self, ConfigError> {
        Self::with_dotenv(Path::new(".env"))
    }

    /// The process environment and the given dotenv file (missing file: just the process
    /// environment).
    pub fn with_dotenv(path: &Path) -> Result<Self, ConfigError> {
        Ok(Env {
            dotenv: read_dotenv(path)?,
            use_process: true,
        })
    }

    /// Only these values, no process environment, no file (tests).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Env {
            dotenv: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            use_process: false,
        }
    }

    /// A variable: the process environment first, then the `.env` file.
    pub fn get(&self, name: &str) -> Option<String> {
        self.use_process
            .then(|| std::env::var(name).ok())
            .flatten()
            .or_else(|| self.dotenv.get(name).cloned())
    }

    /// `APP_ENV`, see [`AppEnv::parse`].
    pub fn app_env(&self) -> AppEnv {
        AppEnv::parse(self.get("APP_ENV").as_deref())
    }

    /// A variable parsed as `T`; `Ok(None)` when unset or blank. `expected` and `example` go
    /// into the error ("an integer", "8080").
    pub fn parse<T: FromStr>(
        &self,
        name: &str,
        expected: &str,
        example: &str,
    ) -> Result<Option<T>, ConfigError> {
        let Some(value) = self.get(name).filter(|v| !v.trim().is_empty()) else {
            return Ok(None);
        };
        value
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| ConfigError::Invalid {
                name: name.into(),
                value,
                expected: expected.into(),
                example: example.into(),
            })
    }

    /// A variable that must be set (and not blank); `hint` says what to set it to.
    pub fn require(&self, name: &str, hint: &str) -> Result<String, ConfigError> {
        self.get(name)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| ConfigError::Missing {
                name: name.into(),
                hint: hint.into(),
            })
    }

    /// `PORT`, or `default` when unset.
    pub fn port(&self, default: u16) -> Result<u16, ConfigError> {
        Ok(self.parse("PORT", "an integer", "8080")?.unwrap_or(default))
    }

    /// `DATABASE_PATH`, or `default` when unset.
    pub fn database_path(&self, default: impl Into<PathBuf>) -> PathBuf {
        self.get("DATABASE_PATH")
            .filter(|v| !v.trim().is_empty())
            .map_or_else(|| default.into(), PathBuf::from)
    }

    /// The address the server binds: `ADDR` (`host:port`), else `HOST` (default 127.0.0.1) and
    /// `PORT` (default [`DEFAULT_PORT`]).
    pub fn server_addr(&self) -> Result<SocketAddr, ConfigError> {
        if let Some(addr) = self.parse("ADDR", "host:port", "127.0.0.1:8080")? {
            return Ok(addr);
        }
        let host = self
            .parse("HOST", "an IP address", "127.0.0.1")?
            .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        Ok(SocketAddr::new(host, self.port(DEFAULT_PORT)?))
    }
}

#[cfg(feature = "dotenv")]
fn read_dotenv(path: &Path) -> Result<HashMap<String, String>, ConfigError> {
    let error = |message: String| ConfigError::DotEnv {
        path: path.display().to_string(),
        message,
    };
    let iter = match dotenvy::from_path_iter(path) {
        Ok(iter) => iter,
        Err(e) if e.not_found() => return Ok(HashMap::new()),
        Err(e) => return Err(error(e.to_string())),
    };
    iter.map(|item| item.map_err(|e| error(e.to_string())))
        .collect()
}

#[cfg(not(feature = "dotenv"))]
fn read_dotenv(_path: &Path) -> Result<HashMap<String, String>, ConfigError> {
    Ok(HashMap::new())
}

/// The process-wide environment, loaded on first use. A broken `.env` is reported once on
/// stderr and then ignored, so [`get`] never fails; call [`Env::load`] at startup to turn it into
/// an error instead.
pub fn global() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        Env::load().unwrap_or_else(|e| {
            eprintln!("warning: {e}");
            Env {
                dotenv: HashMap::new(),
                use_process: true,
            }
        })
    })
}

/// A variable from the process environment, else `./.env`.
pub fn get(name: &str) -> Option<String> {
    global().get(name)
}

/// `APP_ENV` of this process.
pub fn app_env() -> AppEnv {
    global().app_env()
}

/// Whether this process runs in development.
pub fn is_dev() -> bool {
    app_env().is_dev()
}

/// Whether this process issues `Secure` cookies (production).
pub fn secure_cookies() -> bool {
    app_env().secure_cookies()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_env_parsing() {
        for prod in ["prod", "PROD", "production", "Production", " prod "] {
            assert_eq!(AppEnv::parse(Some(prod)), AppEnv::Production, "{prod}");
        }
        for dev in ["dev", "development", "staging", "", "produktion"] {
            assert_eq!(AppEnv::parse(Some(dev)), AppEnv::Development, "{dev}");
        }
        assert_eq!(AppEnv::parse(None), AppEnv::Development);
        assert!(AppEnv::Production.secure_cookies());
        assert!(!AppEnv::Development.secure_cookies());
        assert_eq!(AppEnv::Production.name(), "prod");
    }

    #[test]
    fn typed_errors_say_what_to_do() {
        let env = Env::from_pairs([("PORT", "abc"), ("WORKERS", "x")]);
        assert_eq!(
            env.port(8080).unwrap_err().to_string(),
            "Invalid PORT value: abc. Set PORT to an integer, for example PORT=8080."
        );
        assert_eq!(
            env.parse::<u8>("WORKERS", "a number of threads", "4")
                .unwrap_err()
                .to_string(),
            "Invalid WORKERS value: x. Set WORKERS to a number of threads, for example WORKERS=4."
        );
        assert_eq!(
            env.require(
                "SMTP_HOST",
                "Set it to your mail server, for example SMTP_HOST=mail.example."
            )
            .unwrap_err()
            .to_string(),
            "SMTP_HOST is not set. Set it to your mail server, for example SMTP_HOST=mail.example."
        );
        assert_eq!(Env::from_pairs([("PORT", " 9000 ")]).port(8080), Ok(9000));
        assert_eq!(Env::from_pairs::<&str, &str>([]).port(8080), Ok(8080));
        assert_eq!(
            Env::from_pairs([("DATABASE_PATH", "data/app.db")]).database_path("app.db"),
            PathBuf::from("data/app.db")
        );
    }

    #[test]
    fn the_server_address_is_addr_else_host_and_port() {
        let addr = |pairs: &[(&str, &str)]| Env::from_pairs(pairs.iter().copied()).server_addr();
        assert_eq!(addr(&[]), Ok("127.0.0.1:8080".parse().unwrap()));
        assert_eq!(
            addr(&[("PORT", "9000")]),
            Ok("127.0.0.1:9000".parse().unwrap())
        );
        assert_eq!(
            addr(&[("HOST", "0.0.0.0"), ("PORT", "1")]),
            Ok("0.0.0.0:1".parse().unwrap())
        );
        assert_eq!(
            addr(&[("ADDR", "127.0.0.1:0"), ("PORT", "1")]),
            Ok("127.0.0.1:0".parse().unwrap())
        );
        for (name, value) in [("PORT", "abc"), ("HOST", "nope"), ("ADDR", "x:y")] {
            let error = addr(&[(name, value)]).unwrap_err().to_string();
            assert!(
                error.starts_with(&format!("Invalid {name} value: {value}.")),
                "{error}"
            );
        }
    }

    #[cfg(feature = "dotenv")]
    #[test]
    fn dotenv_file_and_process_precedence() {
        let dir = std::env::temp_dir().join(format!("rally-env-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(".env");
        std::fs::write(
            &path,
            "# comment\n\nexport RALLY_ENV_TEST_A=from-file\nRALLY_ENV_TEST_B = \"quoted value\"\nPATH=from-file\n",
        )
        .unwrap();
        let env = Env::with_dotenv(&path).unwrap();
        assert_eq!(env.get("RALLY_ENV_TEST_A").as_deref(), Some("from-file"));
        assert_eq!(env.get("RALLY_ENV_TEST_B").as_deref(), Some("quoted value"));
        // The process environment wins (PATH is always set).
        assert_ne!(env.get("PATH").as_deref(), Some("from-file"));
        assert_eq!(env.get("RALLY_ENV_TEST_MISSING"), None);
        // A missing file is no error.
        assert!(Env::with_dotenv(&dir.join("absent.env")).is_ok());
        // A malformed line is.
        std::fs::write(&path, "NOT A VALID LINE\n").unwrap();
        let err = Env::with_dotenv(&path).unwrap_err();
        assert!(matches!(err, ConfigError::DotEnv { .. }), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
