//! The demo: the users of `demo_users.rs` seeded into a fresh database,
//! and the banner printed at start with a ready token and a `curl` line for
//! each.

use std::fmt::Write as _;

use rusqlite::TransactionBehavior;

use crate::Role;
use crate::db::{Db, DbError, posts, users};
use crate::demo_users::USERS;
use crate::grants::grantable;
use crate::password;
use crate::start_error::StartError;
use crate::token_issuer::TokenIssuer;

/// Seeds the demo users, and a first post by the editor, into a database
/// that has no user yet. Blocking: it hashes passwords.
pub(crate) fn seed(db: &Db) -> Result<(), StartError> {
    if !db.call_blocking(|conn| users::is_empty(conn))?? {
        return Ok(());
    }
    let mut hashes = Vec::with_capacity(USERS.len());
    for user in USERS {
        hashes.push(password::hash_blocking(user.password.as_bytes())?);
    }
    db.call_blocking(move |conn| -> rusqlite::Result<()> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Checked again inside the transaction: another process may have
        // seeded meanwhile.
        if !users::is_empty(&tx)? {
            return Ok(());
        }
        for (user, hash) in USERS.iter().zip(&hashes) {
            let id = users::insert(&tx, user.username, hash, &[user.role])?;
            if user.role == Role::Editor {
                posts::insert(
                    &tx,
                    &id.to_string(),
                    "Welcome",
                    "Every endpoint of this service is guarded by #[requires].",
                )?;
            }
        }
        tx.commit()
    })??;
    tracing::info!("seeded the demo users: {}", USERS.map(|u| u.username).join(", "));
    Ok(())
}

/// The start-up banner: where the service listens, how to get a token and,
/// when `with_tokens`, a ready token and `curl` line per demo user still
/// in `db`, signed by `issuer` (`None` in resource-server mode). `curl` is
/// the command with any options it needs (`--cacert`).
pub(crate) async fn banner(
    db: &Db,
    issuer: Option<&TokenIssuer>,
    base_url: &str,
    curl: &str,
    with_tokens: bool,
) -> Result<String, StartError> {
    let mut text = format!(
        "\nrbac-example is listening on {base_url}\nAPI documentation (Swagger UI): {base_url}/docs\n"
    );
    let Some(issuer) = issuer else {
        let _ = writeln!(text, "Resource-server mode: tokens come from the trusted issuer.");
        return Ok(text);
    };
    let _ = writeln!(
        text,
        "\nGet a token with the OAuth 2.0 password grant (demo users: alice, bob, carol):\n  \
         {curl} {base_url}/token -d grant_type=password -d username=bob -d password=bob-demo \
         -d 'scope=posts:read posts:write'"
    );
    if !with_tokens {
        return Ok(text);
    }
    let _ =
        writeln!(text, "\nReady tokens, valid for {} s, and a request to try:", issuer.ttl_secs());
    for demo in USERS {
        // Issued no later than the roles it carries were read.
        let read_at = crate::db::unix_now();
        let user = db
            .call(move |conn| users::find_by_name(conn, demo.username).map_err(DbError::from))
            .await?;
        let Some(user) = user else { continue };
        let token = issuer.issue(user.id, &user.roles, grantable(&user.roles), read_at)?;
        let var = format!("{}_TOKEN", demo.username.to_ascii_uppercase());
        let auth = format!("-H \"Authorization: Bearer ${var}\"");
        let try_it = match demo.role {
            Role::Admin => format!("{curl} {base_url}/users {auth}"),
            Role::Editor => format!(
                "{curl} {base_url}/posts {auth} -H 'Content-Type: application/json' \
                 -d '{{\"title\": \"Hello\", \"body\": \"from {}\"}}'",
                demo.username
            ),
            Role::Viewer => format!(
                "{curl} {base_url}/posts {auth}\n  \
                 {curl} -i -X DELETE {base_url}/posts/1 {auth}   # 403: viewers cannot"
            ),
        };
        let _ = writeln!(
            text,
            "\n  # {} ({}, password {})\n  export {var}='{}'\n  {try_it}",
            demo.username, demo.role, demo.password, token.access_token
        );
    }
    Ok(text)
}
