//! What the generator sends: the request kinds, the status each must get,
//! the weighted picks of the soak mix, and the requests themselves.
//!
//! A *pick* is what a connection chooses next, by weight; every pick sends
//! one request, except `write`, which sends `POST /posts` and then
//! `DELETE /posts/{id}` of the post just created. A *kind* is one request,
//! reported on its own with the statuses it may get.

use std::fmt;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Request;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};

/// A request body: the whole of it, known in advance.
pub type Body = Full<Bytes>;

/// A demo user of the example (`examples/src/demo_users.rs`): name and
/// password.
#[derive(Debug, Clone, Copy)]
pub struct DemoUser {
    /// The login name.
    pub username: &'static str,
    /// The published demo password.
    pub password: &'static str,
}

/// The example's demo users, one per role, in the order [`Tokens`] relies
/// on: alice (admin), bob (editor), carol (viewer).
pub const DEMO_USERS: [DemoUser; 3] = [
    DemoUser { username: "alice", password: "alice-demo" },
    DemoUser { username: "bob", password: "bob-demo" },
    DemoUser { username: "carol", password: "carol-demo" },
];

/// The largest JSON body the example accepts (`JSON_BODY_LIMIT` in
/// `examples/src/lib.rs`); one byte more is refused with 413.
pub const JSON_BODY_LIMIT: usize = 64 * 1024;

/// One request as reported: what is sent, and the statuses it may get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `GET /posts` with a token of any role.
    GetPosts,
    /// `GET /users/me` with a token of any role.
    GetMe,
    /// `POST /posts` by an editor or admin.
    CreatePost,
    /// `DELETE /posts/{id}` of a post this connection created, by its author.
    DeletePost,
    /// `POST /token` with a demo user's password, from 127.0.0.1.
    LoginGood,
    /// `POST /token` with a wrong password, from 127.0.0.2 and up.
    LoginBad,
    /// `GET /posts` without a token.
    NoToken,
    /// `POST /posts` with the viewer's token: the role is missing.
    ViewerOnEditor,
    /// `POST /posts` with a body one byte over the limit, announced by
    /// `Content-Length`.
    TooLarge,
}

impl Kind {
    /// Every kind, in report order; a kind's index here is [`Kind::index`].
    pub const ALL: [Kind; 9] = [
        Kind::GetPosts,
        Kind::GetMe,
        Kind::CreatePost,
        Kind::DeletePost,
        Kind::LoginGood,
        Kind::LoginBad,
        Kind::NoToken,
        Kind::ViewerOnEditor,
        Kind::TooLarge,
    ];

    /// The kind's position in [`Kind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The short name used in reports and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Kind::GetPosts => "get_posts",
            Kind::GetMe => "get_me",
            Kind::CreatePost => "create_post",
            Kind::DeletePost => "delete_post",
            Kind::LoginGood => "login_good",
            Kind::LoginBad => "login_bad",
            Kind::NoToken => "no_token",
            Kind::ViewerOnEditor => "viewer_on_editor",
            Kind::TooLarge => "too_large",
        }
    }

    /// What is sent, in a few words.
    pub fn request(self) -> &'static str {
        match self {
            Kind::GetPosts => "GET /posts, token of any role",
            Kind::GetMe => "GET /users/me, token of any role",
            Kind::CreatePost => "POST /posts, editor or admin",
            Kind::DeletePost => "DELETE /posts/{id} of that post, its author",
            Kind::LoginGood => "POST /token, right password, from 127.0.0.1",
            Kind::LoginBad => "POST /token, wrong password, from 127.0.0.2+",
            Kind::NoToken => "GET /posts without a token",
            Kind::ViewerOnEditor => "POST /posts with the viewer's token",
            Kind::TooLarge => "POST /posts, Content-Length one over 64 KiB",
        }
    }

    /// The statuses this kind may get; any other is unexpected. A wrong
    /// password is 400 `invalid_grant` (RFC 6749 §5.2), or 429 once a
    /// failed-login throttle refuses the address.
    pub fn expected(self) -> &'static [u16] {
        match self {
            Kind::GetPosts | Kind::GetMe | Kind::LoginGood => &[200],
            Kind::CreatePost => &[201],
            Kind::DeletePost => &[204],
            Kind::LoginBad => &[400, 429],
            Kind::NoToken => &[401],
            Kind::ViewerOnEditor => &[403],
            Kind::TooLarge => &[413],
        }
    }
}

/// What a soak connection chooses next, by weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// [`Kind::GetPosts`].
    GetPosts,
    /// [`Kind::GetMe`].
    GetMe,
    /// [`Kind::CreatePost`], then [`Kind::DeletePost`] of that post.
    Write,
    /// [`Kind::LoginGood`].
    LoginGood,
    /// [`Kind::LoginBad`].
    LoginBad,
    /// [`Kind::NoToken`].
    NoToken,
    /// [`Kind::ViewerOnEditor`].
    ViewerOnEditor,
    /// [`Kind::TooLarge`].
    TooLarge,
}

impl Pick {
    /// Every pick, in the order weights are given and printed.
    pub const ALL: [Pick; 8] = [
        Pick::GetPosts,
        Pick::GetMe,
        Pick::Write,
        Pick::LoginGood,
        Pick::LoginBad,
        Pick::NoToken,
        Pick::ViewerOnEditor,
        Pick::TooLarge,
    ];

    /// The name weights are given by (`--weights name=N,...`).
    pub fn name(self) -> &'static str {
        match self {
            Pick::Write => "write",
            Pick::GetPosts => Kind::GetPosts.name(),
            Pick::GetMe => Kind::GetMe.name(),
            Pick::LoginGood => Kind::LoginGood.name(),
            Pick::LoginBad => Kind::LoginBad.name(),
            Pick::NoToken => Kind::NoToken.name(),
            Pick::ViewerOnEditor => Kind::ViewerOnEditor.name(),
            Pick::TooLarge => Kind::TooLarge.name(),
        }
    }

    /// The default weight, out of 1000 in all. Logins are few: each good
    /// one costs an Argon2 hash (15–20 ms of a core), and so does each bad
    /// one that no throttle refuses first; in a closed loop a larger share
    /// leaves most connections queued for the hashing threads.
    fn default_weight(self) -> u32 {
        match self {
            Pick::GetPosts => 300,
            Pick::GetMe => 300,
            Pick::Write => 150,
            Pick::LoginGood => 5,
            Pick::LoginBad => 20,
            Pick::NoToken => 75,
            Pick::ViewerOnEditor => 75,
            Pick::TooLarge => 75,
        }
    }
}

/// The weight of each [`Pick`], in [`Pick::ALL`] order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weights([u32; 8]);

impl Default for Weights {
    fn default() -> Self {
        Weights(Pick::ALL.map(Pick::default_weight))
    }
}

impl Weights {
    /// The defaults, with the weights named in `spec` (`name=N,name=N`)
    /// replaced; at least one weight must stay above zero.
    pub fn parse(spec: &str) -> Result<Weights, String> {
        let mut weights = Weights::default();
        for item in spec.split(',').map(str::trim).filter(|item| !item.is_empty()) {
            let (name, value) =
                item.split_once('=').ok_or_else(|| format!("weight `{item}`: expected name=N"))?;
            let pick =
                Pick::ALL.into_iter().find(|pick| pick.name() == name.trim()).ok_or_else(|| {
                    let names: Vec<_> = Pick::ALL.map(Pick::name).into();
                    format!("weight `{item}`: unknown name; known: {}", names.join(", "))
                })?;
            weights.0[pick as usize] =
                value.trim().parse().map_err(|error| format!("weight `{item}`: {error}"))?;
        }
        if weights.total() == 0 {
            return Err("every weight is zero".to_owned());
        }
        Ok(weights)
    }

    /// The weight of `pick`.
    pub fn of(&self, pick: Pick) -> u32 {
        self.0[pick as usize]
    }

    /// The sum of all weights.
    pub fn total(&self) -> u32 {
        self.0.iter().sum()
    }

    /// A pick drawn with probability weight / total.
    pub fn choose(&self, rng: &mut Rng) -> Pick {
        let mut ticket = rng.below(u64::from(self.total()));
        for pick in Pick::ALL {
            let weight = u64::from(self.of(pick));
            if ticket < weight {
                return pick;
            }
            ticket -= weight;
        }
        unreachable!("a ticket below the total falls within some weight")
    }
}

impl fmt::Display for Weights {
    /// `name weight (share%)` for every pick, on one line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = f64::from(self.total());
        for (position, pick) in Pick::ALL.into_iter().enumerate() {
            let weight = self.of(pick);
            let separator = if position == 0 { "" } else { "  " };
            let share = 100.0 * f64::from(weight) / total;
            write!(f, "{separator}{} {weight} ({share:.1}%)", pick.name())?;
        }
        Ok(())
    }
}

/// A small, fast pseudo-random generator (SplitMix64): enough to draw
/// picks and roles, with no dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound` > 0; the bias is negligible for the
    /// small bounds used here).
    pub fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }
}

/// One access token per demo user, as `Authorization` header values, in
/// [`DEMO_USERS`] order.
#[derive(Debug, Clone)]
pub struct Tokens([HeaderValue; 3]);

impl Tokens {
    /// The tokens for `access_tokens`, given in [`DEMO_USERS`] order.
    pub fn new(access_tokens: [String; 3]) -> Result<Tokens, String> {
        let mut headers = Vec::with_capacity(3);
        for token in access_tokens {
            let value = HeaderValue::try_from(format!("Bearer {token}"))
                .map_err(|error| format!("token unusable in a header: {error}"))?;
            headers.push(value);
        }
        let headers: [HeaderValue; 3] =
            headers.try_into().map_err(|_| "three tokens are needed".to_owned())?;
        Ok(Tokens(headers))
    }

    /// The admin's (alice's) token.
    fn admin(&self) -> &HeaderValue {
        &self.0[0]
    }

    /// The editor's (bob's) token.
    fn editor(&self) -> &HeaderValue {
        &self.0[1]
    }

    /// The viewer's (carol's) token.
    fn viewer(&self) -> &HeaderValue {
        &self.0[2]
    }
}

/// Builds every request of the mix; the bodies are made once and shared.
#[derive(Debug, Clone)]
pub struct Requests {
    host: HeaderValue,
    tokens: Tokens,
    new_post: Bytes,
    too_large: Bytes,
    good_logins: [Bytes; 3],
    bad_logins: [Bytes; 3],
}

/// A post's author: which token created it, to delete it with the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    /// alice (admin, an editor by inheritance).
    Admin,
    /// bob (editor).
    Editor,
}

impl Requests {
    /// The requests for the server at `host` (`ip:port`, the `Host`
    /// header), with `tokens` for the authorized ones.
    pub fn new(host: &str, tokens: Tokens) -> Result<Requests, String> {
        let host = HeaderValue::try_from(host).map_err(|error| format!("host {host}: {error}"))?;
        Ok(Requests {
            host,
            tokens,
            new_post: Bytes::from_static(br#"{"title":"load","body":"a post of the soak"}"#),
            too_large: Bytes::from(vec![b'a'; JSON_BODY_LIMIT + 1]),
            good_logins: DEMO_USERS.map(|user| login_form(user.username, user.password)),
            bad_logins: DEMO_USERS.map(|user| login_form(user.username, "not-the-password")),
        })
    }

    /// `GET /posts` with the token of demo user `user` (0 to 2).
    pub fn get_posts(&self, user: usize) -> Request<Body> {
        self.request("GET", "/posts", Some(&self.tokens.0[user % 3]), None)
    }

    /// `GET /users/me` with the token of demo user `user` (0 to 2).
    pub fn get_me(&self, user: usize) -> Request<Body> {
        self.request("GET", "/users/me", Some(&self.tokens.0[user % 3]), None)
    }

    /// `POST /posts` by `author`.
    pub fn create_post(&self, author: Author) -> Request<Body> {
        let token = match author {
            Author::Admin => self.tokens.admin(),
            Author::Editor => self.tokens.editor(),
        };
        self.request("POST", "/posts", Some(token), Some(("application/json", &self.new_post)))
    }

    /// `DELETE /posts/{id}` by `author`.
    pub fn delete_post(&self, author: Author, id: u64) -> Request<Body> {
        let token = match author {
            Author::Admin => self.tokens.admin(),
            Author::Editor => self.tokens.editor(),
        };
        self.request("DELETE", &format!("/posts/{id}"), Some(token), None)
    }

    /// `POST /token` with demo user `user`'s (0 to 2) right password.
    pub fn login_good(&self, user: usize) -> Request<Body> {
        login(&self.host, &self.good_logins[user % 3])
    }

    /// `POST /token` with a wrong password for demo user `user` (0 to 2).
    pub fn login_bad(&self, user: usize) -> Request<Body> {
        login(&self.host, &self.bad_logins[user % 3])
    }

    /// `GET /posts` without a token.
    pub fn no_token(&self) -> Request<Body> {
        self.request("GET", "/posts", None, None)
    }

    /// `POST /posts` with a valid body and the viewer's token.
    pub fn viewer_on_editor(&self) -> Request<Body> {
        let token = self.tokens.viewer();
        self.request("POST", "/posts", Some(token), Some(("application/json", &self.new_post)))
    }

    /// `POST /posts` by the editor with a body one byte over the limit.
    pub fn too_large(&self) -> Request<Body> {
        let token = self.tokens.editor();
        self.request("POST", "/posts", Some(token), Some(("application/json", &self.too_large)))
    }

    /// A request with the `Host` header, an optional token and an optional
    /// body with its media type; `Content-Length` is the body's length.
    fn request(
        &self,
        method: &'static str,
        path: &str,
        token: Option<&HeaderValue>,
        body: Option<(&'static str, &Bytes)>,
    ) -> Request<Body> {
        let mut builder = Request::builder().method(method).uri(path).header(HOST, &self.host);
        if let Some(token) = token {
            builder = builder.header(AUTHORIZATION, token);
        }
        let body = match body {
            Some((media_type, bytes)) => {
                builder = builder.header(CONTENT_TYPE, media_type);
                bytes.clone()
            }
            None => Bytes::new(),
        };
        builder.body(Full::new(body)).expect("method, path and headers are valid")
    }
}

/// The form of a password grant for `username` and `password` (letters,
/// digits and `-` only: nothing to percent-encode).
pub fn login_form(username: &str, password: &str) -> Bytes {
    Bytes::from(format!("grant_type=password&username={username}&password={password}"))
}

/// `POST /token` with `form` to the server at `host`.
pub fn login(host: &HeaderValue, form: &Bytes) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri("/token")
        .header(HOST, host)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Full::new(form.clone()))
        .expect("method, path and headers are valid")
}
