//! OAuth 2.0 Protected Resource Metadata (RFC 9728): [`ResourceMetadata`],
//! what a service says about itself (its resource identifier, a name, a
//! documentation page), checked when given; and the document an
//! authenticator publishes from it, its issuers and its declared scopes,
//! with the route that serves it.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::routing::get;
use http::HeaderValue;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use serde::Serialize;

use url::{Host, Url};

use crate::config_error::ConfigError;

/// The well-known URI suffix of RFC 9728 §3, inserted between a resource
/// identifier's host and its path.
const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// The document is the same for every client and changes only when the
/// service is reconfigured: caches may keep it for an hour.
const CACHE: &str = "public, max-age=3600";

/// What an API publishes about itself as an OAuth 2.0 protected resource
/// (RFC 9728), given to
/// [`AuthenticatorBuilder::resource_metadata`](crate::AuthenticatorBuilder::resource_metadata).
///
/// Its resource identifier is a URL: the API's own, which clients use to
/// find the metadata (and, per RFC 8707, ask tokens for); a token's `aud`
/// need not be one, so it is given here. The document the authenticator
/// then serves adds what its configuration already says: the trusted
/// issuers as `authorization_servers`, the scopes `roles!` declares as
/// `scopes_supported`, and `bearer_methods_supported: ["header"]`.
///
/// ```
/// use rbac_axum::ResourceMetadata;
///
/// let metadata = ResourceMetadata::new("https://api.example.com/mcp")?
///     .name("Example MCP server")
///     .documentation("https://docs.example.com/mcp")?;
/// assert_eq!(metadata.resource(), "https://api.example.com/mcp");
/// assert_eq!(metadata.path(), "/.well-known/oauth-protected-resource/mcp");
/// assert_eq!(
///     metadata.url(),
///     "https://api.example.com/.well-known/oauth-protected-resource/mcp",
/// );
///
/// // Without a path, the document is at the well-known path itself.
/// let root = ResourceMetadata::new("https://api.example.com")?;
/// assert_eq!(root.url(), "https://api.example.com/.well-known/oauth-protected-resource");
///
/// // A fragment, plain http to another host, a URL in another spelling: refused.
/// assert!(ResourceMetadata::new("https://api.example.com/mcp#tools").is_err());
/// assert!(ResourceMetadata::new("http://api.example.com/mcp").is_err());
/// assert!(ResourceMetadata::new("https://API.example.com/mcp").is_err());
/// assert!(ResourceMetadata::new("http://127.0.0.1:8080/mcp").is_ok()); // tests
/// # Ok::<(), rbac_axum::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct ResourceMetadata {
    resource: String,
    /// Where the document is served: the well-known suffix, then the
    /// identifier's path.
    path: String,
    /// The document's URL: the identifier's origin and `path`.
    url: String,
    name: Option<String>,
    documentation: Option<String>,
}

impl ResourceMetadata {
    /// Metadata for the protected resource `resource`: an `https` URL
    /// (plain `http` only on a loopback address, for tests and local
    /// development) without fragment (RFC 9728 §1.2), query, user name or
    /// password, written as clients write it (lower-case scheme and host,
    /// no default port, no `.` segment), with or without a path.
    ///
    /// For an MCP server it is the server's URL, e.g.
    /// `https://api.example.com/mcp`; for an API, the URL its paths start
    /// from. Every refusal's challenge names the one document, and RFC 9728
    /// §3.3 asks a client that followed it to check that `resource` is the
    /// URL it requested: true for requests to the identifier itself (an
    /// MCP endpoint), not for other paths under it, which a strict client
    /// discards. The document is served at the identifier's origin, at
    /// `/.well-known/oauth-protected-resource` followed by its path
    /// (RFC 9728 §3.1): [`path`](Self::path), [`url`](Self::url).
    ///
    /// # Errors
    /// [`ConfigError::ResourceMetadata`] saying what is wrong with it.
    pub fn new(resource: impl Into<String>) -> Result<Self, ConfigError> {
        let resource = resource.into();
        let url = check_url(&resource, "resource identifier", Scheme::HttpsOrLoopback)?;
        let refuse = |reason: String| ConfigError::ResourceMetadata {
            field: "resource identifier",
            value: resource.clone(),
            reason,
        };
        if url.query().is_some() {
            return Err(refuse(
                "it has a query, which RFC 8707 advises against and by which the metadata \
                 could not be served"
                    .to_owned(),
            ));
        }
        // What clients compare and send is the URL as parsed: a spelling
        // that parses into another (`HTTPS://`, `:443`, `/a/../mcp`) would
        // serve one identifier and be asked tokens for another.
        let written = url.as_str();
        if resource != written && resource != written.trim_end_matches('/') {
            return Err(refuse(format!("write it as clients will: `{written}`")));
        }
        // axum refuses a route whose segment starts so (the syntax of
        // captures before 0.8).
        if url.path().split('/').any(|segment| segment.starts_with([':', '*'])) {
            return Err(refuse("a path segment starts with `:` or `*`".to_owned()));
        }
        // RFC 9728 §3.1: a terminating slash after the host goes.
        let path = match url.path() {
            "/" => WELL_KNOWN.to_owned(),
            path => format!("{WELL_KNOWN}{path}"),
        };
        let url = format!("{}{path}", url.origin().ascii_serialization());
        Ok(Self { resource, path, url, name: None, documentation: None })
    }

    /// A name for the resource, for people (`resource_name`; RFC 9728
    /// recommends one).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// A page about the resource for developers (`resource_documentation`):
    /// an `http` or `https` URL.
    ///
    /// # Errors
    /// [`ConfigError::ResourceMetadata`] when it is not one.
    pub fn documentation(mut self, url: impl Into<String>) -> Result<Self, ConfigError> {
        let url = url.into();
        check_url(&url, "documentation URL", Scheme::Web)?;
        self.documentation = Some(url);
        Ok(self)
    }

    /// The resource identifier, as given.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The path the document is served at on the identifier's host.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The document's URL: what a `WWW-Authenticate` challenge names in
    /// `resource_metadata="…"` (RFC 9728 §5.1).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The document for an authenticator trusting the issuers `issuers`
    /// (their `iss`) for the declared `scopes`, rendered once. Each issuer
    /// must be an issuer URL (RFC 8414 §2), as clients fetch its
    /// authorization server metadata from it.
    pub(crate) fn publish<'a>(
        &self,
        issuers: impl IntoIterator<Item = &'a str>,
        scopes: &[&str],
    ) -> Result<PublishedMetadata, ConfigError> {
        let mut authorization_servers = Vec::new();
        for issuer in issuers {
            check_url(issuer, "issuer", Scheme::HttpsOrLoopback)
                .and_then(|url| match (url.query(), url.fragment()) {
                    (None, None) => Ok(()),
                    _ => Err(ConfigError::ResourceMetadata {
                        field: "issuer",
                        value: issuer.to_owned(),
                        reason: "an issuer URL has no query or fragment (RFC 8414 §2)".to_owned(),
                    }),
                })
                .map_err(as_authorization_server)?;
            authorization_servers.push(issuer);
        }
        let document = Document {
            resource: &self.resource,
            authorization_servers,
            scopes_supported: scopes,
            bearer_methods_supported: ["header"],
            resource_name: self.name.as_deref(),
            resource_documentation: self.documentation.as_deref(),
        };
        // Serializing strings and arrays of strings does not fail.
        let body = serde_json::to_vec(&document).unwrap_or_default();
        Ok(PublishedMetadata {
            url: Arc::from(self.url.as_str()),
            path: self.path.clone(),
            body: Bytes::from(body),
        })
    }
}

/// An issuer that cannot be listed as an authorization server, said so.
fn as_authorization_server(error: ConfigError) -> ConfigError {
    match error {
        ConfigError::ResourceMetadata { field, value, reason } => ConfigError::ResourceMetadata {
            field,
            value,
            reason: format!(
                "{reason}; resource metadata lists each trusted issuer's `iss` as an \
                 authorization server (RFC 9728 §2), which clients find the authorization \
                 server's metadata from"
            ),
        },
        other => other,
    }
}

/// The URL schemes a metadata value may use.
#[derive(Clone, Copy)]
enum Scheme {
    /// `https`, or `http` on a loopback address.
    HttpsOrLoopback,
    /// `https` or `http`: a page for people.
    Web,
}

/// `text` as an absolute URL of `scheme` without fragment nor user name
/// or password; `field` names it in the error.
fn check_url(text: &str, field: &'static str, scheme: Scheme) -> Result<Url, ConfigError> {
    let refuse =
        |reason: String| ConfigError::ResourceMetadata { field, value: text.to_owned(), reason };
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(refuse("it holds a space or a control character".to_owned()));
    }
    let url = Url::parse(text).map_err(|e| refuse(format!("it is not an absolute URL ({e})")))?;
    let allowed = match (scheme, url.scheme()) {
        (_, "https") => true,
        (Scheme::Web, "http") => true,
        (Scheme::HttpsOrLoopback, "http") => is_loopback(&url),
        _ => false,
    };
    if !allowed {
        return Err(refuse(match scheme {
            Scheme::HttpsOrLoopback => {
                "it must use https (plain http only on a loopback address)".to_owned()
            }
            Scheme::Web => "it must use https or http".to_owned(),
        }));
    }
    if url.fragment().is_some() {
        return Err(refuse("it has a fragment (`#…`)".to_owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("it holds a user name or password".to_owned()));
    }
    Ok(url)
}

/// Whether `url`'s host is this machine: where plain http is acceptable,
/// for tests and local development (the rule key fetching follows too).
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(host)) => host == "localhost",
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The JSON document (RFC 9728 §2); empty lists are left out (§3.2).
#[derive(Serialize)]
struct Document<'a> {
    resource: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authorization_servers: Vec<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    scopes_supported: &'a [&'a str],
    bearer_methods_supported: [&'static str; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_documentation: Option<&'a str>,
}

/// The document an authenticator serves, rendered when it was built.
#[derive(Debug)]
pub(crate) struct PublishedMetadata {
    /// Where clients find it (shared: each refusal's challenge names it).
    pub(crate) url: Arc<str>,
    /// The path it is served at.
    path: String,
    /// The JSON text.
    body: Bytes,
}

impl PublishedMetadata {
    /// The JSON text served.
    pub(crate) fn json(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap_or_default()
    }

    /// A router serving the document at its path, for `GET` (and `HEAD`).
    pub(crate) fn routes<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let body = self.body.clone();
        let serve = move || {
            let body = body.clone();
            async move {
                let headers = [
                    (CONTENT_TYPE, HeaderValue::from_static("application/json")),
                    (CACHE_CONTROL, HeaderValue::from_static(CACHE)),
                ];
                (headers, body)
            }
        };
        Router::new().route(&self.path, get(serve))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(resource: &str) -> String {
        match ResourceMetadata::new(resource) {
            Err(error) => error.to_string(),
            Ok(metadata) => panic!("{resource} accepted: {metadata:?}"),
        }
    }

    #[test]
    fn the_document_is_found_by_inserting_the_well_known_suffix() {
        for (resource, path) in [
            ("https://api.example.com", "/.well-known/oauth-protected-resource"),
            ("https://api.example.com/", "/.well-known/oauth-protected-resource"),
            ("https://api.example.com/mcp", "/.well-known/oauth-protected-resource/mcp"),
            ("https://api.example.com/a/b/", "/.well-known/oauth-protected-resource/a/b/"),
            ("https://api.example.com:8443/mcp", "/.well-known/oauth-protected-resource/mcp"),
        ] {
            let metadata = ResourceMetadata::new(resource).expect(resource);
            assert_eq!(metadata.path(), path, "{resource}");
            assert_eq!(metadata.resource(), resource);
        }
        let metadata = ResourceMetadata::new("https://api.example.com:8443/mcp").expect("valid");
        assert_eq!(
            metadata.url(),
            "https://api.example.com:8443/.well-known/oauth-protected-resource/mcp"
        );
        let local = ResourceMetadata::new("http://[::1]:3000").expect("loopback");
        assert_eq!(local.url(), "http://[::1]:3000/.well-known/oauth-protected-resource");
    }

    #[test]
    fn unusable_identifiers_are_refused_saying_why() {
        for (resource, why) in [
            ("api.example.com/mcp", "not an absolute URL"),
            ("http://api.example.com/mcp", "https"),
            ("http://10.0.0.1/mcp", "https"),
            ("ftp://api.example.com/mcp", "https"),
            ("https://api.example.com/mcp#x", "fragment"),
            ("https://api.example.com/mcp#", "fragment"),
            ("https://api.example.com/mcp?tenant=a", "query"),
            ("https://user:pw@api.example.com/mcp", "user name"),
            ("https://api.example.com/mcp ", "space"),
            ("https://Api.example.com/mcp", "`https://api.example.com/mcp`"),
            ("https://api.example.com:443/mcp", "`https://api.example.com/mcp`"),
            ("https://api.example.com/a/../mcp", "`https://api.example.com/mcp`"),
            ("https://api.example.com/:id", "`:`"),
        ] {
            let message = refused(resource);
            assert!(message.contains(why), "{resource}: {message}");
            assert!(message.contains("resource identifier"), "{message}");
        }
    }

    #[test]
    fn the_document_lists_issuers_scopes_and_the_header_method() {
        let metadata = ResourceMetadata::new("https://api.example.com/mcp")
            .and_then(|m| m.name("MCP").documentation("https://docs.example.com/"))
            .expect("valid");
        let published = metadata
            .publish(["https://sso.example.com/realms/acme", "http://127.0.0.1:9000"], &["a", "b"])
            .expect("issuer URLs");
        let document: serde_json::Value = serde_json::from_str(published.json()).expect("JSON");
        assert_eq!(
            document,
            serde_json::json!({
                "resource": "https://api.example.com/mcp",
                "authorization_servers": ["https://sso.example.com/realms/acme", "http://127.0.0.1:9000"],
                "scopes_supported": ["a", "b"],
                "bearer_methods_supported": ["header"],
                "resource_name": "MCP",
                "resource_documentation": "https://docs.example.com/",
            })
        );

        let bare = ResourceMetadata::new("https://api.example.com").expect("valid");
        let published = bare.publish([], &[]).expect("nothing to check");
        assert_eq!(
            published.json(),
            r#"{"resource":"https://api.example.com","bearer_methods_supported":["header"]}"#
        );
    }

    #[test]
    fn an_issuer_that_is_no_url_cannot_be_an_authorization_server() {
        let metadata = ResourceMetadata::new("https://api.example.com").expect("valid");
        for issuer in ["rbac-example", "http://sso.example.com", "https://sso.example.com?x=1"] {
            let error = metadata.publish([issuer], &[]).expect_err(issuer).to_string();
            assert!(error.contains(&format!("issuer `{issuer}`")), "{error}");
            assert!(error.contains("authorization server"), "{error}");
        }
    }
}
