//! Scrubbing by value: every credential the run holds is registered where it is made, and
//! replaced by `***` in every line dbctl writes, whatever a provider or proxy echoes back.
use std::collections::{BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::secret::{mask_text_secrets, url_passwords, MASK};

/// Percent-encoding as in a URL's userinfo: RFC 3986 unreserved characters stay.
pub const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Values shorter than this are not scrubbed: they would mangle ordinary text.
const MIN_LEN: usize = 4;

/// Forms of per-request signatures kept at most: a signature changes with every request (a
/// Cosmos `sig=`), so only the latest are kept and a long run (`metrics serve`) stays flat.
const MAX_SIGNATURES: usize = 256;

#[derive(Default)]
struct Registry {
    values: BTreeSet<String>,
    /// The latest per-request signatures, in every form, newest last.
    signatures: VecDeque<String>,
    /// Built on first use after a change.
    matcher: Option<AhoCorasick>,
}

static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);
static SHOW_ON_STDOUT: AtomicBool = AtomicBool::new(false);

/// A credential with the encoded forms it takes in URLs and JSON; none when it is too short.
fn forms(value: &str) -> Option<[String; 4]> {
    let value = value.trim();
    if value.len() < MIN_LEN {
        return None;
    }
    let encode = |set| percent_encoding::utf8_percent_encode(value, set).to_string();
    let json = serde_json::to_string(value).unwrap_or_default();
    Some([
        value.to_string(),
        encode(percent_encoding::NON_ALPHANUMERIC),
        encode(UNRESERVED),
        json.trim_matches('"').to_string(),
    ])
}

/// Registers a credential, with the encoded forms it takes in URLs and JSON.
pub fn register(value: &str) {
    let Some(forms) = forms(value) else {
        return;
    };
    let mut guard = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    let registry = guard.get_or_insert_with(Registry::default);
    let before = registry.values.len();
    registry.values.extend(forms);
    if registry.values.len() != before {
        registry.matcher = None;
    }
}

/// Registers a per-request signature among the latest [`MAX_SIGNATURES`].
fn register_signature(value: &str) {
    let mut guard = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    guard
        .get_or_insert_with(Registry::default)
        .add_signature(value);
}

impl Registry {
    fn add_signature(&mut self, value: &str) {
        let Some(forms) = forms(value) else {
            return;
        };
        for form in forms {
            if !self.signatures.contains(&form) {
                self.signatures.push_back(form);
                self.matcher = None;
            }
        }
        while self.signatures.len() > MAX_SIGNATURES {
            self.signatures.pop_front();
        }
    }
}

/// Registers what an authorization header carries: the whole value, a Basic token, and a
/// signature (`sig=...`, Cosmos, made anew for each request: kept among the latest only) in
/// raw and URL-encoded form.
pub fn register_header(value: &str) {
    let decoded = percent_encoding::percent_decode_str(value)
        .decode_utf8_lossy()
        .into_owned();
    let signed = decoded.split('&').any(|part| part.starts_with("sig="));
    if !signed {
        register(value);
        if let Some(token) = value.strip_prefix("Basic ") {
            register(token);
        }
        register(&decoded);
        return;
    }
    register_signature(value);
    register_signature(&decoded);
    for part in decoded.split('&') {
        if let Some(sig) = part.strip_prefix("sig=") {
            register_signature(sig);
        }
    }
}

/// Registers the passwords inside every `scheme://user:password@` of a text.
pub fn register_url_passwords(text: &str) {
    for password in url_passwords(text) {
        register(password);
        register(&percent_encoding::percent_decode_str(password).decode_utf8_lossy());
    }
}

/// Masks every credential dbctl knows by value, then secret-named JSON values and URL
/// passwords, in text that may not parse (a truncated body, an error sentence); before any
/// caller cuts the text short.
pub fn redact_text(text: &str) -> String {
    crate::secret::redact_text_by_name(&scrub(text))
}

/// Stdout is left unscrubbed for the run (`--show-secrets`).
pub fn show_on_stdout(show: bool) {
    SHOW_ON_STDOUT.store(show, Ordering::Relaxed);
}

/// Every registered credential replaced by `***`.
pub fn scrub(text: &str) -> String {
    let mut guard = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    let Some(registry) = guard.as_mut() else {
        return text.to_string();
    };
    let count = registry.values.len() + registry.signatures.len();
    if count == 0 {
        return text.to_string();
    }
    if registry.matcher.is_none() {
        registry.matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(registry.values.iter().chain(&registry.signatures))
            .ok();
    }
    match &registry.matcher {
        Some(matcher) => matcher.replace_all(text, &vec![MASK; count]),
        // Cannot happen for plain strings; mask each value the slow way all the same.
        None => registry
            .values
            .iter()
            .chain(&registry.signatures)
            .fold(text.to_string(), |t, v| t.replace(v.as_str(), MASK)),
    }
}

/// A message line: credentials scrubbed, then URL passwords and connection-string keys.
pub fn scrub_text(text: &str) -> String {
    mask_text_secrets(&scrub(text))
}

/// A document for stdout: scrubbed unless `--show-secrets`.
pub fn scrub_stdout(text: &str) -> std::borrow::Cow<'_, str> {
    if SHOW_ON_STDOUT.load(Ordering::Relaxed) {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(scrub(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_values_are_scrubbed_in_every_form() {
        register("hunter2-pass/word");
        register_header("Basic YWRtaW46aHVudGVy");
        register_header("type%3Dmaster%26ver%3D1.0%26sig%3DAbC%2Bsig%3D");
        register("abc");
        let text = "pw hunter2-pass/word enc hunter2-pass%2Fword basic YWRtaW46aHVudGVy \
            sig AbC+sig= encsig AbC%2Bsig%3D short abc";
        let out = scrub(text);
        for leaked in ["hunter2", "YWRtaW46", "AbC"] {
            assert!(!out.contains(leaked), "{out}");
        }
        assert!(out.ends_with("short abc"), "{out}");
    }

    #[test]
    fn only_the_latest_signatures_are_kept() {
        let mut registry = Registry::default();
        for n in 0..2 * MAX_SIGNATURES {
            registry.add_signature(&format!("signature-{n:04}"));
        }
        assert_eq!(registry.signatures.len(), MAX_SIGNATURES);
        let last = format!("signature-{:04}", 2 * MAX_SIGNATURES - 1);
        assert!(registry.signatures.contains(&last));
        assert!(!registry.signatures.contains(&"signature-0000".to_string()));
    }

    #[test]
    fn url_passwords_are_registered() {
        register_url_passwords("http://admin:s%40cret-url@host:9443 and ftp://x@y");
        let out = scrub("echo s%40cret-url and s@cret-url");
        assert_eq!(out, "echo *** and ***");
    }
}
