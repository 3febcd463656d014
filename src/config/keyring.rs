//! The OS keyring (`*_keyring = true`, `dbctl config set-secret`): the kernel keyring
//! (keyutils) on Linux, the login keychain on macOS, the Credential Manager on Windows. Each
//! secret is the entry `PROFILE/FIELD` of the service `dbctl`.
use std::sync::Arc;

use keyring_core::{CredentialStore, Entry};

/// The service every entry is filed under.
const SERVICE: &str = "dbctl";

/// Why the keyring gave or took no secret, as one sentence for the caller to prefix.
#[derive(Debug)]
pub enum Refusal {
    /// No keyring this process can use (none on the platform, locked, or out of reach).
    Unusable(String),
    /// The keyring holds nothing for this profile and field.
    Missing,
    Other(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Unusable(why) => {
                write!(
                    f,
                    "no usable OS keyring on this machine ({}: {why})",
                    name()
                )
            }
            Refusal::Missing => write!(f, "{} holds nothing for it", name()),
            Refusal::Other(why) => write!(f, "{} refused: {why}", name()),
        }
    }
}

/// What this platform's keyring is called in messages.
pub fn name() -> &'static str {
    if cfg!(target_os = "linux") {
        "the kernel keyring (keyutils)"
    } else if cfg!(target_os = "macos") {
        "the macOS keychain"
    } else if cfg!(target_os = "windows") {
        "the Windows Credential Manager"
    } else {
        "the OS keyring"
    }
}

/// The secret stored for `profile`'s `field`.
pub fn read(profile: &str, field: &str) -> Result<String, Refusal> {
    entry(profile, field)?.get_password().map_err(refusal)
}

/// Stores `secret` for `profile`'s `field`, replacing what was there.
pub fn store(profile: &str, field: &str, secret: &str) -> Result<(), Refusal> {
    let entry = entry(profile, field)?;
    entry.set_password(secret).map_err(|e| {
        // A store that failed halfway (keyutils adds the key, then cannot link it where it
        // lasts) must not leave the secret behind.
        let _ = entry.delete_credential();
        refusal(e)
    })
}

fn entry(profile: &str, field: &str) -> Result<Entry, Refusal> {
    let store = platform_store().map_err(refusal)?;
    Entry::new_in_store(&store, SERVICE, &format!("{profile}/{field}")).map_err(refusal)
}

fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    #[cfg(target_os = "linux")]
    return Ok(linux_keyutils_keyring_store::Store::new()?);
    #[cfg(target_os = "macos")]
    return Ok(apple_native_keyring_store::keychain::Store::new()?);
    #[cfg(target_os = "windows")]
    return Ok(windows_native_keyring_store::Store::new()?);
    #[allow(unreachable_code)]
    Err(keyring_core::Error::NotSupportedByStore(
        "dbctl has no keyring for this operating system".into(),
    ))
}

fn refusal(error: keyring_core::Error) -> Refusal {
    use keyring_core::Error as E;
    match error {
        E::NoEntry => Refusal::Missing,
        E::NoStorageAccess(why) | E::PlatformFailure(why) => Refusal::Unusable(why.to_string()),
        E::NoDefaultStore => Refusal::Unusable("no store".into()),
        E::NotSupportedByStore(why) => Refusal::Unusable(why),
        other => Refusal::Other(other.to_string()),
    }
}
