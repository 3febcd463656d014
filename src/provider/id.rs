//! Database ids as users type them: what no provider's id can look like (empty, blank, a
//! control character) is refused here, and each provider adds its own form in its folder. A
//! malformed id is exit 6 before any request, with one line naming the provider and what a
//! valid id looks like.
use crate::error::{Error, Result};
use crate::model::ProviderKind;

/// Longest piece of a refused id quoted back.
const SHOWN_CHARS: usize = 64;

/// Refuses an id no provider could have; `form` says what a valid one looks like, e.g.
/// "redis-enterprise database uids are positive numbers such as 1".
pub fn check_common(kind: ProviderKind, id: &str, form: &str) -> Result<()> {
    match unusable(id) {
        Some(why) => Err(malformed(kind, id, why, form)),
        None => Ok(()),
    }
}

/// Why no database could have `id` as its id or name, if that is so.
pub fn unusable(id: &str) -> Option<&'static str> {
    if id.is_empty() {
        Some("it is empty")
    } else if id.trim().is_empty() {
        Some("it is only whitespace")
    } else if id.chars().any(char::is_control) {
        Some("it contains a control character")
    } else {
        None
    }
}

/// The one error for a malformed id: `"a/b" is not a valid upstash database id: it contains
/// '/'; upstash database ids are UUID-like, ...`. Long ids are cut, controls shown escaped.
pub fn malformed(kind: ProviderKind, id: &str, why: &str, form: &str) -> Error {
    let shown = if id.chars().count() > SHOWN_CHARS {
        let cut: String = id.chars().take(SHOWN_CHARS).collect();
        format!("{cut:?}...")
    } else {
        format!("{id:?}")
    };
    Error::invalid(format!(
        "{shown} is not a valid {kind} database id: {why}; {form}"
    ))
    .with_provider(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_blank_and_control_ids_are_refused_for_every_provider() {
        for kind in ProviderKind::all() {
            for bad in ["", " ", "\t\n", "a\u{1b}[31mb", "a\u{9b}b", "a\u{7f}"] {
                let error = check_common(*kind, bad, "FORM").unwrap_err();
                assert_eq!(error.exit_code(), 6, "{bad:?}");
                assert_eq!(error.provider, Some(*kind));
                assert!(error.message.contains(kind.name()), "{}", error.message);
                assert!(error.message.ends_with("; FORM"), "{}", error.message);
                assert!(!error.message.contains('\n'));
                assert!(!error.message.contains('\u{1b}'));
            }
            for good in ["1", "Food DB", "2145833/13008822", "métriques"] {
                assert!(check_common(*kind, good, "FORM").is_ok(), "{good:?}");
            }
        }
        let long = "x".repeat(1000);
        let error = malformed(ProviderKind::Upstash, &long, "it is long", "FORM");
        assert!(error.message.len() < 200, "{}", error.message);
    }
}
