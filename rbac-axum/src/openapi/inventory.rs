//! The policy inventory: every documented route, its requirement as
//! written, and whether a given principal may call it; and the
//! deny-by-default check that no route is left unguarded by mistake.

use std::fmt;

use aide::openapi::OpenApi;
use rbac_core::{Granted, RoleModel, RoleSet};

use super::operation::{Entry, Rule};
use super::registry::{self, Registered};

/// Every route of an OpenAPI document made with aide, with who may call
/// it: the requirements `#[requires]` and `require!` documented, an
/// [`Auth`](crate::Auth) that needs any valid token, or a mark that it is
/// [`public`](super::public) on purpose.
///
/// Only what the document holds is listed: a route added with axum's
/// plain `.route()` (not `api_route`), a nested service or a merged plain
/// `Router` is not in it, and so not here.
///
/// ```
/// use aide::axum::{ApiRouter, routing::{get, get_with}};
/// use aide::openapi::OpenApi;
/// use rbac_axum::openapi::{Inventory, public};
/// use rbac_axum::requires;
///
/// rbac_axum::roles! { admin: viewer, viewer => ["posts:read"], scopes: ["posts:read"] }
///
/// #[requires(scope = "posts:read")]
/// async fn list_posts() -> &'static str { "[]" }
/// #[requires(role = "admin")]
/// async fn stats() -> &'static str { "{}" }
/// async fn health() -> &'static str { "ok" }
///
/// # fn main() {
/// let mut api = OpenApi::default();
/// let _app = ApiRouter::<rbac_axum::Authenticator<Role>>::new()
///     .api_route("/posts", get(list_posts))
///     .api_route("/stats", get(stats))
///     .api_route("/health", get_with(health, public))
///     .finish_api(&mut api);
///
/// let inventory = Inventory::of(&api);
/// assert!(inventory.check_deny_by_default().is_ok());
/// let matrix = inventory.matrix::<Role>();
/// assert_eq!(matrix.allows("GET", "/stats", "admin"), Some(true));
/// assert_eq!(matrix.allows("GET", "/stats", "viewer"), Some(false));
/// assert_eq!(matrix.allows("GET", "/posts", "viewer"), Some(true));
/// assert_eq!(matrix.allows("GET", "/health", "anonymous"), Some(true));
/// println!("{matrix}");
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Inventory {
    routes: Vec<Route>,
}

/// One route of an [`Inventory`].
#[derive(Debug, Clone)]
pub struct Route {
    method: String,
    path: String,
    access: Access,
    /// With [`Access::Requirements`]: each rule, and what decides it when
    /// this process documented it.
    rules: Vec<(Rule, Option<Registered>)>,
}

/// Who may call a route, as its documentation says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Access {
    /// Marked [`public`](super::public) on purpose (a token, if sent, may
    /// be read).
    Public,
    /// Any valid token (an `Auth` or `TokenClaims` argument).
    AnyToken,
    /// A valid token meeting every requirement of `#[requires]` and
    /// `require!` on it.
    Requirements,
    /// Nothing said: unguarded, unless by something the document does not
    /// show.
    Unguarded,
}

impl Inventory {
    /// The routes of `api`, in its order.
    pub fn of(api: &OpenApi) -> Inventory {
        let routes = api
            .operations()
            .map(|(path, method, operation)| {
                let entry = Entry::of(operation);
                let rules: Vec<_> = entry
                    .requires
                    .into_iter()
                    .map(|rule| {
                        let registered = registry::find(&rule.key());
                        (rule, registered)
                    })
                    .collect();
                let access = if !rules.is_empty() {
                    Access::Requirements
                } else if entry.public {
                    // Before `authenticated`: an `Option<Auth>` documents
                    // itself as `Auth` does, and `public` says otherwise.
                    Access::Public
                } else if entry.authenticated {
                    Access::AnyToken
                } else {
                    Access::Unguarded
                };
                Route { method: method.to_uppercase(), path: path.to_owned(), access, rules }
            })
            .collect();
        Inventory { routes }
    }

    /// Every route.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// Deny by default: every route needs a requirement, a token, or a
    /// mark that it is [`public`](super::public) on purpose. Run it in a
    /// test, so that adding an unguarded route fails the build's tests.
    pub fn check_deny_by_default(&self) -> Result<(), UnguardedRoutes> {
        let unguarded: Vec<String> = self
            .routes
            .iter()
            .filter(|route| route.access == Access::Unguarded)
            .map(|route| format!("{} {}", route.method, route.path))
            .collect();
        if unguarded.is_empty() { Ok(()) } else { Err(UnguardedRoutes(unguarded)) }
    }

    /// The role × route matrix for `M`'s roles: an anonymous caller, then
    /// each role holding the scopes it may be granted (its own and its
    /// inherited roles').
    pub fn matrix<M: RoleModel>(&self) -> Matrix {
        let schema = M::SCHEMA;
        let roles = (0..schema.roles().len()).map(|index| {
            let role = RoleSet::single(index);
            let granted = Granted::new(schema.close(role), schema.grantable(role));
            (schema.roles()[index].to_owned(), Some(granted))
        });
        let principals: Vec<(String, Option<Granted>)> =
            std::iter::once(("anonymous".to_owned(), None)).chain(roles).collect();
        self.matrix_for::<M>(&principals)
    }

    /// The matrix for these principals of `M`'s roles, each a name and its
    /// rights (`None`: no token).
    pub fn matrix_for<M: RoleModel>(&self, principals: &[(String, Option<Granted>)]) -> Matrix {
        let rows = self
            .routes
            .iter()
            .map(|route| MatrixRow {
                method: route.method.clone(),
                path: route.path.clone(),
                handler: route.handler().to_owned(),
                requirement: route.requirement(),
                allowed: principals
                    .iter()
                    .map(|(_, granted)| route.allows::<M>(granted.as_ref()))
                    .collect(),
            })
            .collect();
        Matrix { principals: principals.iter().map(|(name, _)| name.clone()).collect(), rows }
    }
}

impl Route {
    /// The method, upper case.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The path, as routed (`/users/{id}`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Who may call it.
    pub fn access(&self) -> Access {
        self.access
    }

    /// Who may call it, in words: the requirements as written (joined by
    /// `and`), `any valid token`, `public`, or `none (unguarded)`.
    pub fn requirement(&self) -> String {
        match self.access {
            Access::Public => "public".to_owned(),
            Access::AnyToken => "any valid token".to_owned(),
            Access::Unguarded => "none (unguarded)".to_owned(),
            Access::Requirements => self
                .rules
                .iter()
                .map(|(rule, _)| rule.rule.as_str())
                .collect::<Vec<_>>()
                .join(" and "),
        }
    }

    /// The handlers whose requirements guard it (`module::require!` for a
    /// router's).
    pub fn handlers(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|(rule, _)| rule.handler.as_str())
    }

    /// Whether a caller with `granted` (`None`: no token), rights of `M`'s
    /// roles, may call it; `None` when a requirement cannot be decided
    /// here: documented by another process, or of another role model. An
    /// unguarded route lets everyone in.
    pub fn allows<M: RoleModel>(&self, granted: Option<&Granted>) -> Option<bool> {
        let model = registry::model_name::<M>();
        match (self.access, granted) {
            (Access::Public | Access::Unguarded, _) => Some(true),
            (Access::AnyToken | Access::Requirements, None) => Some(false),
            (Access::AnyToken, Some(_)) => Some(true),
            (Access::Requirements, Some(granted)) => self
                .rules
                .iter()
                .map(|(rule, registered)| {
                    registered
                        .filter(|_| rule.model == model)
                        .map(|found| found.expr.allows(granted))
                })
                .try_fold(true, |all, allowed| Some(all && allowed?)),
        }
    }

    /// The handler whose requirement guards it, and those of the routers
    /// around it (`module::require!`), joined by `, `; empty when none is
    /// known (a route that only takes `Auth`, or a public one).
    pub fn handler(&self) -> String {
        self.handlers().collect::<Vec<_>>().join(", ")
    }
}

/// Routes that are neither guarded nor marked public: what
/// [`Inventory::check_deny_by_default`] fails with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnguardedRoutes(pub Vec<String>);

impl fmt::Display for UnguardedRoutes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "routes without a requirement, not marked public: {}; add `#[requires(…)]` (or an \
             `Auth` argument) to their handlers, or document them with `rbac_axum::openapi::public`",
            self.0.join(", ")
        )
    }
}

impl std::error::Error for UnguardedRoutes {}

/// A role × route matrix: see [`Inventory::matrix`]. Displays as a text
/// table.
#[derive(Debug, Clone)]
pub struct Matrix {
    principals: Vec<String>,
    rows: Vec<MatrixRow>,
}

#[derive(Debug, Clone)]
struct MatrixRow {
    method: String,
    path: String,
    handler: String,
    requirement: String,
    allowed: Vec<Option<bool>>,
}

impl Matrix {
    /// Whether `principal` may call `method path`; `None` when either is
    /// not in the matrix, or it cannot be decided.
    pub fn allows(&self, method: &str, path: &str, principal: &str) -> Option<bool> {
        let column = self.principals.iter().position(|name| name == principal)?;
        let row = self
            .rows
            .iter()
            .find(|row| row.method.eq_ignore_ascii_case(method) && row.path == path)?;
        row.allowed[column]
    }

    /// The principals, in column order.
    pub fn principals(&self) -> &[String] {
        &self.principals
    }
}

impl fmt::Display for Matrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = |header: &str, cells: &mut dyn Iterator<Item = usize>| {
            cells.fold(header.len(), usize::max)
        };
        let method = width("METHOD", &mut self.rows.iter().map(|row| row.method.len()));
        let path = width("PATH", &mut self.rows.iter().map(|row| row.path.len()));
        let rule = width("REQUIREMENT", &mut self.rows.iter().map(|row| row.requirement.len()));
        let handler = width("HANDLER", &mut self.rows.iter().map(|row| row.handler.len()));
        let columns: Vec<usize> = self.principals.iter().map(|name| name.len().max(3)).collect();
        let mut line = format!(
            "{:method$}  {:path$}  {:rule$}  {:handler$}",
            "METHOD", "PATH", "REQUIREMENT", "HANDLER"
        );
        for (principal, width) in self.principals.iter().zip(&columns) {
            line.push_str(&format!("  {principal:^width$}"));
        }
        writeln!(f, "{}", line.trim_end())?;
        for row in &self.rows {
            let handler_text = if row.handler.is_empty() { "-" } else { &row.handler };
            let mut line = format!(
                "{:method$}  {:path$}  {:rule$}  {:handler$}",
                row.method, row.path, row.requirement, handler_text
            );
            for (allowed, width) in row.allowed.iter().zip(&columns) {
                let mark = match allowed {
                    Some(true) => "yes",
                    Some(false) => "-",
                    None => "?",
                };
                line.push_str(&format!("  {mark:^width$}"));
            }
            writeln!(f, "{}", line.trim_end())?;
        }
        Ok(())
    }
}
