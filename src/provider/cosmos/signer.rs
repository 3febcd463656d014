//! The Cosmos DB master-key signature: `HMAC-SHA256(base64-decoded key, StringToSign)`,
//! sent as the URL-encoded `type=master&ver=1.0&sig=SIG` with `x-ms-date` (RFC 1123); and the
//! header that carries a Microsoft Entra ID token instead (`type=aad`).
//!
//! `pub(crate)` so the emulator verifies requests with the very same code.
use std::fmt;
use std::time::SystemTime;

use base64::Engine;
use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::Sha256;

/// The REST API version every request names in `x-ms-version`.
pub(crate) const API_VERSION: &str = "2020-07-15";

/// What JavaScript's `encodeURIComponent` leaves alone; the SDKs encode the header with it.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// A decoded master key. `Debug` never shows it.
#[derive(Clone)]
pub(crate) struct MasterKey(Vec<u8>);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

impl MasterKey {
    /// The key as the portal shows it (base64); `None` if it is not base64 or empty.
    pub(crate) fn decode(text: &str) -> Option<MasterKey> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact)
            .ok()
            .filter(|bytes| !bytes.is_empty())
            .map(MasterKey)
    }

    /// The base64 signature of one request.
    pub(crate) fn signature(
        &self,
        verb: &str,
        resource_type: &str,
        link: &str,
        date: &str,
    ) -> String {
        // HMAC accepts a key of any length; this cannot fail.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => return String::new(),
        };
        mac.update(string_to_sign(verb, resource_type, link, date).as_bytes());
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    }

    /// The `Authorization` header value: URL-encoded `type=master&ver=1.0&sig=SIG`.
    pub(crate) fn authorization(
        &self,
        verb: &str,
        resource_type: &str,
        link: &str,
        date: &str,
    ) -> String {
        let token = format!(
            "type=master&ver=1.0&sig={}",
            self.signature(verb, resource_type, link, date)
        );
        utf8_percent_encode(&token, URI_COMPONENT).to_string()
    }
}

/// The `Authorization` header value for a Microsoft Entra ID access token: URL-encoded
/// `type=aad&ver=1.0&sig=TOKEN`, as for a master key (the token is the signature).
pub(crate) fn aad_authorization(token: &str) -> String {
    utf8_percent_encode(&format!("type=aad&ver=1.0&sig={token}"), URI_COMPONENT).to_string()
}

/// `lower(verb) \n lower(resourceType) \n resourceLink \n lower(x-ms-date) \n \n`.
pub(crate) fn string_to_sign(verb: &str, resource_type: &str, link: &str, date: &str) -> String {
    format!(
        "{}\n{}\n{}\n{}\n\n",
        verb.to_lowercase(),
        resource_type.to_lowercase(),
        link,
        date.to_lowercase()
    )
}

/// `x-ms-date` for now: `Thu, 27 Apr 2017 00:51:12 GMT`.
pub(crate) fn date_now() -> String {
    httpdate::fmt_http_date(SystemTime::now())
}

/// The resource type and link a request path signs, from the path under the endpoint (still
/// percent-encoded). Segments are decoded: the link names ids as they are (`dbs/Food DB`).
/// An odd number of segments is a feed or a create (`dbs`, `dbs/X/colls`): the type is the
/// last segment and the link the parent; an even number addresses one resource. Offers are
/// addressed by rid, and rid-based links sign lower-cased: `/offers/Hu+t` signs `hu+t`.
pub(crate) fn resource(path: &str) -> (String, String) {
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    match segments.len() {
        0 => (String::new(), String::new()),
        2 if segments[0] == "offers" => (segments[0].clone(), segments[1].to_lowercase()),
        n if n % 2 == 1 => (segments[n - 1].clone(), segments[..n - 1].join("/")),
        n => (segments[n - 2].clone(), segments.join("/")),
    }
}

/// The fields of an `Authorization` header value (URL-encoded or not): (type, version, sig).
/// The emulator checks signatures with it.
#[cfg(any(test, feature = "emulator"))]
pub(crate) fn parse_authorization(header: &str) -> Option<(String, String, String)> {
    let decoded = percent_decode_str(header.trim()).decode_utf8().ok()?;
    let (mut kind, mut version, mut sig) = (None, None, None);
    for pair in decoded.split('&') {
        let (name, value) = pair.split_once('=')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "type" => kind = Some(value.to_string()),
            "ver" => version = Some(value.to_string()),
            "sig" => sig = Some(value.to_string()),
            _ => {}
        }
    }
    Some((kind?, version?, sig?))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The official vectors (Microsoft's "Access control in the Azure Cosmos DB SQL API").
    const KEY: &str =
        "dsZQi3KtZmCv1ljt3VNWNm7sQUF1y5rJfC6kv5JiwvW0EndXdDku/dkKBp8/ufDToSxLzR4y+O/0H/t4bQtVNw==";
    const DATE: &str = "Thu, 27 Apr 2017 00:51:12 GMT";

    fn key() -> MasterKey {
        MasterKey::decode(KEY).expect("vector key")
    }

    #[test]
    fn official_vector_for_one_database() {
        assert_eq!(
            key().signature("GET", "dbs", "dbs/ToDoList", DATE),
            "c09PEVJrgp2uQRkr934kFbTqhByc7TVr3OHyqlu+c+c="
        );
        assert_eq!(
            key().authorization("GET", "dbs", "dbs/ToDoList", DATE),
            "type%3Dmaster%26ver%3D1.0%26sig%3Dc09PEVJrgp2uQRkr934kFbTqhByc7TVr3OHyqlu%2Bc%2Bc%3D"
        );
    }

    #[test]
    fn official_vector_for_the_database_feed() {
        assert_eq!(
            key().signature("GET", "dbs", "", DATE),
            "oMt68ghyVEcS70kOZOWyTYEgUkWNd441wEjKJu6kvcA="
        );
    }

    #[test]
    fn verb_type_and_date_are_lowercased_but_not_the_link() {
        assert_eq!(
            string_to_sign("GET", "DBS", "dbs/ToDoList", DATE),
            "get\ndbs\ndbs/ToDoList\nthu, 27 apr 2017 00:51:12 gmt\n\n"
        );
        assert_ne!(
            key().signature("GET", "dbs", "dbs/todolist", DATE),
            key().signature("GET", "dbs", "dbs/ToDoList", DATE)
        );
    }

    #[test]
    fn resources_come_from_the_decoded_path() {
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(resource("/dbs"), pair("dbs", ""));
        assert_eq!(resource("/dbs/ToDoList"), pair("dbs", "dbs/ToDoList"));
        assert_eq!(resource("/dbs/Food%20DB"), pair("dbs", "dbs/Food DB"));
        assert_eq!(
            resource("/dbs/Food%20DB/colls"),
            pair("colls", "dbs/Food DB")
        );
        assert_eq!(
            resource("/dbs/caf%C3%A9/colls/c%201/"),
            pair("colls", "dbs/café/colls/c 1")
        );
        assert_eq!(resource("/"), pair("", ""));
        assert_eq!(resource("/offers"), pair("offers", ""));
        assert_eq!(resource("/offers/Hu%2Bt"), pair("offers", "hu+t"));
    }

    #[test]
    fn keys_that_are_not_base64_are_refused() {
        assert!(MasterKey::decode("not base64!").is_none());
        assert!(MasterKey::decode("").is_none());
        assert!(MasterKey::decode(KEY).is_some());
        assert_eq!(format!("{:?}", key()), "MasterKey(***)");
    }

    #[test]
    fn entra_tokens_are_sent_url_encoded() {
        assert_eq!(
            aad_authorization("eyJ0.eyJ1-x_y.sig"),
            "type%3Daad%26ver%3D1.0%26sig%3DeyJ0.eyJ1-x_y.sig"
        );
        let (kind, version, sig) = parse_authorization(&aad_authorization("a.b.c")).unwrap();
        assert_eq!(
            (kind.as_str(), version.as_str(), sig.as_str()),
            ("aad", "1.0", "a.b.c")
        );
    }

    #[test]
    fn headers_parse_back() {
        let header = key().authorization("GET", "dbs", "", DATE);
        let (kind, version, sig) = parse_authorization(&header).unwrap();
        assert_eq!((kind.as_str(), version.as_str()), ("master", "1.0"));
        assert_eq!(sig, "oMt68ghyVEcS70kOZOWyTYEgUkWNd441wEjKJu6kvcA=");
        assert!(parse_authorization("garbage").is_none());
    }
}
