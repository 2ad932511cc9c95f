//! The server's own secrets: the access-token signing key and the data-encryption key. They come from
//! configuration; on a deployment that does not configure them they are generated once into the data directory,
//! readable by the owner only, and reused on every start.

use crate::config::SecretsConfig;
use crate::secret::Secret;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const JWT_SECRET_FILE: &str = "jwt-signing.key";
pub const DATA_KEY_FILE: &str = "data-encryption.key";
const MIN_JWT_SECRET_BYTES: usize = 32;
const DATA_KEY_BYTES: usize = 32;

#[derive(Clone)]
pub struct Keys {
    pub jwt_secret: Secret<Vec<u8>>,
    pub data_encryption_key: Secret<[u8; DATA_KEY_BYTES]>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys").finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("invalid configuration: `{key}` {reason}")]
    Invalid { key: &'static str, reason: String },
    #[error("secret file {path} cannot be used: {reason}")]
    File { path: PathBuf, reason: String },
}

impl Keys {
    /// Loads the keys from configuration, or from (creating if needed) the files under `<data_dir>/secrets`.
    pub fn load_or_generate(data_dir: &Path, config: &SecretsConfig) -> Result<Keys, KeyError> {
        let dir = data_dir.join("secrets");
        let jwt_secret = match &config.jwt_secret {
            Some(hex_key) => decode_hex_key("secrets.jwt_secret", hex_key.expose())?,
            None => read_or_create(&dir.join(JWT_SECRET_FILE), MIN_JWT_SECRET_BYTES)?,
        };
        if jwt_secret.len() < MIN_JWT_SECRET_BYTES {
            return Err(KeyError::Invalid {
                key: "secrets.jwt_secret",
                reason: format!(
                    "must be at least {MIN_JWT_SECRET_BYTES} bytes ({} hex digits)",
                    MIN_JWT_SECRET_BYTES * 2
                ),
            });
        }
        let data_key = match &config.data_encryption_key {
            Some(hex_key) => decode_hex_key("secrets.data_encryption_key", hex_key.expose())?,
            None => read_or_create(&dir.join(DATA_KEY_FILE), DATA_KEY_BYTES)?,
        };
        let data_encryption_key: [u8; DATA_KEY_BYTES] =
            data_key.as_slice().try_into().map_err(|_| KeyError::Invalid {
                key: "secrets.data_encryption_key",
                reason: format!(
                    "must be exactly {DATA_KEY_BYTES} bytes ({} hex digits)",
                    DATA_KEY_BYTES * 2
                ),
            })?;
        Ok(Keys {
            jwt_secret: Secret::new(jwt_secret),
            data_encryption_key: Secret::new(data_encryption_key),
        })
    }
}

fn decode_hex_key(key: &'static str, text: &str) -> Result<Vec<u8>, KeyError> {
    hex::decode(text.trim()).map_err(|_| KeyError::Invalid {
        key,
        reason: "must be hexadecimal".to_owned(),
    })
}

fn read_or_create(path: &Path, len: usize) -> Result<Vec<u8>, KeyError> {
    let file_error = |reason: String| KeyError::File {
        path: path.to_owned(),
        reason,
    };
    match fs::read_to_string(path) {
        Ok(text) => {
            warn_if_readable_by_others(path);
            hex::decode(text.trim()).map_err(|_| file_error("is not hexadecimal".to_owned()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = vec![0u8; len];
            getrandom::fill(&mut key).map_err(|e| file_error(format!("no randomness available: {e}")))?;
            write_owner_only(path, hex::encode(&key).as_bytes()).map_err(|e| file_error(e.to_string()))?;
            tracing::info!(path = %path.display(), "generated a new secret key");
            Ok(key)
        }
        Err(e) => Err(file_error(e.to_string())),
    }
}

/// Creates the file with mode 0600 (and its directory with 0700) so there is never a moment when another user
/// could read it; `create_new` refuses to follow a planted file.
fn write_owner_only(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %path.display(), "secret key file is readable by other users; chmod 600 it");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = Keys::load_or_generate(dir.path(), &SecretsConfig::default()).unwrap();
        let second = Keys::load_or_generate(dir.path(), &SecretsConfig::default()).unwrap();
        assert_eq!(first.jwt_secret.expose(), second.jwt_secret.expose());
        assert_eq!(first.data_encryption_key.expose(), second.data_encryption_key.expose());
        assert_ne!(
            first.jwt_secret.expose().as_slice(),
            &first.data_encryption_key.expose()[..]
        );
    }

    #[cfg(unix)]
    #[test]
    fn generated_files_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        Keys::load_or_generate(dir.path(), &SecretsConfig::default()).unwrap();
        let secrets = dir.path().join("secrets");
        assert_eq!(fs::metadata(&secrets).unwrap().permissions().mode() & 0o777, 0o700);
        for file in [JWT_SECRET_FILE, DATA_KEY_FILE] {
            let mode = fs::metadata(secrets.join(file)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{file}");
        }
    }

    #[test]
    fn configured_keys_are_used_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let config = SecretsConfig {
            jwt_secret: Some(Secret::new("ab".repeat(32))),
            data_encryption_key: Some(Secret::new("cd".repeat(32))),
        };
        let keys = Keys::load_or_generate(dir.path(), &config).unwrap();
        assert_eq!(keys.jwt_secret.expose(), &vec![0xab; 32]);
        assert!(!dir.path().join("secrets").exists());

        let short = SecretsConfig {
            data_encryption_key: Some(Secret::new("cd".repeat(16))),
            ..config.clone()
        };
        let err = Keys::load_or_generate(dir.path(), &short).unwrap_err().to_string();
        assert!(err.contains("data_encryption_key"), "{err}");
        let not_hex = SecretsConfig {
            jwt_secret: Some(Secret::new("zz".repeat(32))),
            ..config
        };
        let err = Keys::load_or_generate(dir.path(), &not_hex).unwrap_err().to_string();
        assert!(err.contains("jwt_secret"), "{err}");
    }
}
