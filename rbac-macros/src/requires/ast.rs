//! Parsing `#[requires]`: the handler it is on, kept as written, and the
//! arguments of every `#[requires]` on that handler, as terms.
//!
//! ```text
//! args  := term ("," term)* ","?
//! term  := "role" "=" LIT | "scope" "=" LIT
//!        | "all" "(" args? ")" | "any" "(" args? ")" | "not" "(" args? ")"
//!        | "model" "=" PATH | "crate" "=" PATH | "state" "=" TYPE
//! ```
//!
//! The handler's body is not parsed: it goes back to rustc as written, so
//! that a syntax error in it is reported once, by rustc.

use proc_macro2::{Group, Span, TokenStream};
use quote::{ToTokens, TokenStreamExt};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Attribute, Ident, LitStr, Meta, Path, Signature, Token, Visibility, parenthesized};

use crate::suggest::did_you_mean;

pub(crate) const USAGE: &str = "e.g. `#[requires(role = \"admin\")]` or `#[requires(any(role = \"editor\", scope = \"posts:write\"))]`";

/// The same for `require!`.
pub(crate) const ROUTER_USAGE: &str = "e.g. `require!(role = \"admin\")` or `require!(any(role = \"editor\", scope = \"posts:write\"))`";

/// What `#[requires]` is given.
pub(crate) struct Input {
    /// The handler, without its other `#[requires]`.
    pub(crate) handler: Handler,
    /// This `#[requires]`, then those below it on the same handler, in
    /// order: all must hold.
    pub(crate) attrs: Vec<RequiresAttr>,
}

/// An async handler as written: attributes, visibility, signature and body.
pub(crate) struct Handler {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    /// `{ … }`, never parsed.
    pub(crate) body: Group,
}

/// One `#[requires]` on the handler.
pub(crate) struct RequiresAttr {
    /// Where an error about the attribute as a whole goes.
    pub(crate) span: Span,
    /// Its arguments, or why they do not parse: `check` reports that with
    /// every other error, in order.
    pub(crate) args: syn::Result<Args>,
}

impl Input {
    /// `args` are this attribute's, `item` what it is on. An error here
    /// means `item` is not a function syn can read.
    pub(crate) fn parse(args: TokenStream, item: TokenStream) -> syn::Result<Input> {
        let mut handler: Handler = syn::parse2(item)?;
        let (siblings, kept): (Vec<Attribute>, Vec<Attribute>) =
            std::mem::take(&mut handler.attrs).into_iter().partition(is_requires);
        handler.attrs = kept;
        let mut attrs = vec![RequiresAttr { span: Span::call_site(), args: syn::parse2(args) }];
        attrs.extend(siblings.iter().map(RequiresAttr::sibling));
        Ok(Input { handler, attrs })
    }
}

const NOT_A_FN: &str =
    "`#[requires]` goes on an async handler function, e.g. `async fn delete_user(...)`";

impl Parse for Handler {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        // The item's first keyword: `struct`, `impl`, `async`…
        let keyword = input.span();
        if !starts_fn(input) {
            return Err(syn::Error::new(keyword, NOT_A_FN));
        }
        let sig: Signature = input.parse()?;
        if !input.peek(syn::token::Brace) {
            // A declaration without a body, as in a trait.
            return Err(syn::Error::new(keyword, NOT_A_FN));
        }
        let body: Group = input.parse()?;
        Ok(Handler { attrs, vis, sig, body })
    }
}

/// `fn`, after any of `const`, `async`, `unsafe` and `extern "abi"`.
fn starts_fn(input: ParseStream) -> bool {
    let fork = input.fork();
    fork.parse::<Option<Token![const]>>().is_ok()
        && fork.parse::<Option<Token![async]>>().is_ok()
        && fork.parse::<Option<Token![unsafe]>>().is_ok()
        && fork.parse::<Option<syn::Abi>>().is_ok()
        && fork.peek(Token![fn])
}

impl ToTokens for Handler {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.append_all(&self.attrs);
        self.vis.to_tokens(tokens);
        self.sig.to_tokens(tokens);
        self.body.to_tokens(tokens);
    }
}

/// `requires`, `rbac_axum::requires` or `::rbac_axum::requires`.
pub(crate) fn is_requires(attr: &Attribute) -> bool {
    attr.path().segments.last().is_some_and(|last| last.ident == "requires")
}

impl RequiresAttr {
    /// A `#[requires]` below this one, read here so that one expansion
    /// guards the handler with all of them.
    pub(crate) fn sibling(attr: &Attribute) -> Self {
        let args = match &attr.meta {
            Meta::Path(_) => Ok(Args { terms: Vec::new() }),
            Meta::List(list) => syn::parse2(list.tokens.clone()),
            Meta::NameValue(nv) => Err(syn::Error::new_spanned(
                &nv.value,
                format!("write `#[requires(...)]`, {USAGE}"),
            )),
        };
        RequiresAttr { span: attr.path().span(), args }
    }
}

/// The keys of a term; `crate` is a Rust keyword, `Token![crate]`.
mod kw {
    syn::custom_keyword!(role);
    syn::custom_keyword!(scope);
    syn::custom_keyword!(all);
    syn::custom_keyword!(any);
    syn::custom_keyword!(not);
    syn::custom_keyword!(model);
    syn::custom_keyword!(state);
}

/// The keys above and `crate`, to suggest one for a misspelt key.
const KEYS: [&str; 8] = ["role", "scope", "all", "any", "not", "model", "state", "crate"];

const EXPECTED: &str = "`role = \"…\"`, `scope = \"…\"`, `all(…)`, `any(…)` or `not(…)`";

/// One term of the argument list, as written.
pub(crate) enum Term {
    Role(LitStr),
    Scope(LitStr),
    All(kw::all, Vec<Term>),
    Any(kw::any, Vec<Term>),
    Not(kw::not, Vec<Term>),
    /// `model = path::to::Role`: where the `roles!` declaration lives when it
    /// is not `crate::Role`.
    Model(kw::model, Path),
    /// `crate = path::to::rbac_axum`: the facade when renamed in Cargo.toml.
    Crate(Token![crate], Path),
    /// `state = AppState`: the router state this handler is routed with.
    State(kw::state, syn::Type),
}

/// The whole argument list.
pub(crate) struct Args {
    pub(crate) terms: Vec<Term>,
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut terms = Vec::new();
        while !input.is_empty() {
            terms.push(input.parse()?);
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(Args { terms })
    }
}

impl Parse for Term {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(Token![crate]) && input.peek2(Token![=]) {
            let key: Token![crate] = input.parse()?;
            input.parse::<Token![=]>()?;
            let path = input.call(Path::parse_mod_style)?;
            Ok(Term::Crate(key, path))
        } else if input.peek(kw::role) {
            let key: kw::role = input.parse()?;
            equals(input, key.span, "role")?;
            Ok(Term::Role(string(input, "role")?))
        } else if input.peek(kw::scope) {
            let key: kw::scope = input.parse()?;
            equals(input, key.span, "scope")?;
            Ok(Term::Scope(string(input, "scope")?))
        } else if input.peek(kw::all) {
            let key: kw::all = input.parse()?;
            Ok(Term::All(key, list(input, key.span, "all")?))
        } else if input.peek(kw::any) {
            let key: kw::any = input.parse()?;
            Ok(Term::Any(key, list(input, key.span, "any")?))
        } else if input.peek(kw::not) {
            let key: kw::not = input.parse()?;
            Ok(Term::Not(key, list(input, key.span, "not")?))
        } else if input.peek(kw::model) {
            let key: kw::model = input.parse()?;
            equals(input, key.span, "model")?;
            let path = input.call(Path::parse_mod_style).map_err(|_| {
                syn::Error::new(
                    input.span(),
                    "expected the path of the `Role` type generated by `roles!`, e.g. `model = crate::auth::Role`",
                )
            })?;
            Ok(Term::Model(key, path))
        } else if input.peek(kw::state) {
            let key: kw::state = input.parse()?;
            equals(input, key.span, "state")?;
            Ok(Term::State(key, input.parse()?))
        } else if input.peek(Ident::peek_any) {
            let key = Ident::parse_any(input)?;
            let text = key.to_string();
            let hint = did_you_mean(KEYS, &text);
            let message = if hint.is_empty() {
                format!("unknown key `{text}`; expected {EXPECTED}")
            } else {
                format!("unknown key `{text}`{hint}")
            };
            Err(syn::Error::new(key.span(), message))
        } else {
            Err(input.error(format!("expected {EXPECTED}")))
        }
    }
}

fn equals(input: ParseStream, key: Span, text: &str) -> syn::Result<()> {
    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        Ok(())
    } else {
        Err(syn::Error::new(key, format!("expected `{text} = …`")))
    }
}

/// The parenthesised terms after `all`, `any` or `not`.
fn list(input: ParseStream, key: Span, text: &str) -> syn::Result<Vec<Term>> {
    if !input.peek(syn::token::Paren) {
        return Err(syn::Error::new(
            key,
            format!("`{text}` takes a parenthesised list: `{text}(role = \"…\", …)`"),
        ));
    }
    let content;
    parenthesized!(content in input);
    let inner: Args = content.parse()?;
    Ok(inner.terms)
}

fn string(input: ParseStream, key: &str) -> syn::Result<LitStr> {
    if input.peek(LitStr) {
        return input.parse();
    }
    // Say what to write, on the value the user wrote.
    let span = if input.is_empty() { Span::call_site() } else { input.span() };
    let is_path = input.peek2(Token![::]);
    let message = match input.fork().parse::<proc_macro2::TokenTree>() {
        // `role = admin`: most likely the name itself, unquoted.
        Ok(proc_macro2::TokenTree::Ident(ident)) if !is_path && !looks_like_a_constant(&ident) => {
            format!("the {key} must be a string literal: write `{key} = \"{ident}\"`")
        }
        // `role = ADMIN`, `role = roles::ADMIN`: a constant, whose value the
        // macro cannot see.
        _ => {
            let example = if key == "scope" { "posts:read" } else { "admin" };
            format!(
                "the {key} must be a string literal naming a declared {key}, e.g. `{key} = \"{example}\"`: \
                 names are checked against `roles!` as written, so a constant or a path cannot be used here"
            )
        }
    };
    Err(syn::Error::new(span, message))
}

/// `ADMIN`, `POSTS_READ`: spelled as Rust spells constants.
fn looks_like_a_constant(ident: &Ident) -> bool {
    let text = ident.to_string();
    text.chars().any(|c| c.is_ascii_uppercase())
        && text.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}
