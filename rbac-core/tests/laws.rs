//! Property tests for the laws of `rbac-core`: the role hierarchy closure of a
//! [`Schema`], exact-name granting, the boolean algebra of [`Expr`] and what a
//! [`Denial`](rbac_core::Denial) reports, monotonicity of `not`-free
//! requirements, the `suggest` helpers and the RFC 6749 scope-token check.
//!
//! Each law is checked against a small reference written here (a DFS closure,
//! a plain recursive evaluator, a char-level scope grammar, a truncation
//! model), not against the crate's own code.

use proptest::prelude::*;
use rbac_core::suggest::{ConstMessage, MAX_SUGGEST_LEN, closest, distance};
use rbac_core::{Coverage, Expr, Granted, RoleSet, Schema, ScopeSet, is_scope_token};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn leak<T>(items: Vec<T>) -> &'static [T] {
    Box::leak(items.into_boxed_slice())
}

fn leak_str(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

/// Whether bit `index` of `bits` is set (indices past 127 never are).
fn has(bits: u128, index: usize) -> bool {
    index < 128 && (bits >> index) & 1 == 1
}

fn bit(index: usize) -> u128 {
    if index < 128 { 1 << index } else { 0 }
}

/// Flips the ASCII case of the characters whose position bit is set in `mask`.
fn flip_case(text: &str, mask: u64) -> String {
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            if has(u128::from(mask), i % 64) {
                if c.is_ascii_uppercase() { c.to_ascii_lowercase() } else { c.to_ascii_uppercase() }
            } else {
                c
            }
        })
        .collect()
}

/// Arbitrary text: any Unicode scalar values, control characters included.
fn text(max_chars: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..=max_chars).prop_map(String::from_iter)
}

/// Identifier-like ASCII names, sometimes longer than `MAX_SUGGEST_LEN`.
fn word() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9:_]{0,70}"
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![word(), text(40)]
}

/// Pairs that are equal, equal up to ASCII case, one a prefix of the other,
/// or unrelated.
fn string_pair() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        (name(), name()),
        name().prop_map(|a| (a.clone(), a)),
        (name(), any::<u64>()).prop_map(|(a, mask)| {
            let b = flip_case(&a, mask);
            (a, b)
        }),
        (name(), text(2)).prop_map(|(a, suffix)| {
            let b = format!("{a}{suffix}");
            (a, b)
        }),
    ]
}

// ---------------------------------------------------------------------------
// Role hierarchies
// ---------------------------------------------------------------------------

/// A DAG of 1 to 10 roles as adjacency lists: role `i` inherits only from
/// roles with a higher index, so there is no cycle.
fn dag() -> impl Strategy<Value = Vec<Vec<usize>>> {
    dag_up_to(10)
}

/// A DAG of 1 to `max` roles; see [`dag`].
fn dag_up_to(max: usize) -> impl Strategy<Value = Vec<Vec<usize>>> {
    (1usize..=max)
        .prop_flat_map(move |n| prop::collection::vec(prop::collection::vec(0usize..max, 0..4), n))
        .prop_map(|targets| {
            let n = targets.len();
            targets
                .iter()
                .enumerate()
                .map(|(i, to)| to.iter().copied().filter(|&j| j > i && j < n).collect())
                .collect()
        })
}

/// Reachability by depth-first search: `closure[a]` has bit `b` when `a`
/// reaches `b` (itself included).
fn reference_closure(edges: &[Vec<usize>]) -> Vec<u128> {
    (0..edges.len())
        .map(|start| {
            let mut seen = 0u128;
            let mut stack = vec![start];
            while let Some(role) = stack.pop() {
                if !has(seen, role) {
                    seen |= bit(role);
                    stack.extend(&edges[role]);
                }
            }
            seen
        })
        .collect()
}

fn role_name(index: usize) -> String {
    format!("role{index}")
}

/// A schema whose roles are `role0`, `role1`, … implying `closure`, no scopes.
fn schema_for(closure: &[u128]) -> Schema {
    let names = leak((0..closure.len()).map(|i| leak_str(role_name(i))).collect());
    let implies = leak(closure.iter().map(|&bits| RoleSet::from_bits(bits)).collect());
    Schema::new(names, implies, &[], &[])
}

/// A schema whose roles are `role0`, … implying `closure`, with `scopes`
/// scopes `scope0`, ….
fn schema_with_scopes(closure: &[u128], scopes: usize) -> Schema {
    let names = leak((0..closure.len()).map(|i| leak_str(role_name(i))).collect());
    let implies = leak(closure.iter().map(|&bits| RoleSet::from_bits(bits)).collect());
    let scope_names = leak((0..scopes).map(|i| leak_str(format!("scope{i}"))).collect());
    Schema::new(names, implies, scope_names, &[])
}

fn implies(schema: &Schema, a: usize, b: usize) -> bool {
    schema.close(RoleSet::single(a)).contains(b)
}

/// Union of the closures of the roles in `subset`.
fn closure_of(closure: &[u128], subset: u128) -> u128 {
    (0..closure.len()).filter(|&i| has(subset, i)).fold(0, |acc, i| acc | closure[i])
}

/// Restricts a random mask to the `n` declared roles.
fn declared(mask: u16, n: usize) -> u128 {
    u128::from(mask) & ((1u128 << n) - 1)
}

proptest! {
    #[test]
    fn close_matches_reference_closure(edges in dag(), mask in any::<u16>()) {
        let closure = reference_closure(&edges);
        let schema = schema_for(&closure);
        for (a, &expected) in closure.iter().enumerate() {
            prop_assert_eq!(schema.close(RoleSet::single(a)).bits(), expected, "role {}", a);
        }
        let subset = declared(mask, edges.len());
        prop_assert_eq!(
            schema.close(RoleSet::from_bits(subset)).bits(),
            closure_of(&closure, subset)
        );
    }

    #[test]
    fn close_is_reflexive(edges in dag(), mask in any::<u16>()) {
        let schema = schema_for(&reference_closure(&edges));
        for a in 0..edges.len() {
            prop_assert!(implies(&schema, a, a), "role {} does not imply itself", a);
        }
        let subset = RoleSet::from_bits(declared(mask, edges.len()));
        prop_assert!(subset.is_subset(schema.close(subset)));
    }

    #[test]
    fn close_is_transitive(edges in dag(), mask in any::<u16>()) {
        let schema = schema_for(&reference_closure(&edges));
        let n = edges.len();
        for a in 0..n {
            for b in (0..n).filter(|&b| implies(&schema, a, b)) {
                for c in (0..n).filter(|&c| implies(&schema, b, c)) {
                    prop_assert!(implies(&schema, a, c), "{} => {} => {} but not {} => {}", a, b, c, a, c);
                }
            }
        }
        let once = schema.close(RoleSet::from_bits(declared(mask, n)));
        prop_assert_eq!(schema.close(once), once);
    }

    #[test]
    fn close_is_one_way_on_a_dag(edges in dag()) {
        let schema = schema_for(&reference_closure(&edges));
        let n = edges.len();
        for a in 0..n {
            for b in (0..n).filter(|&b| b != a && implies(&schema, a, b)) {
                prop_assert!(!implies(&schema, b, a), "{} and {} imply each other", a, b);
            }
        }
    }

    #[test]
    fn grant_gives_exactly_the_closure(edges in dag(), mask in any::<u16>()) {
        let closure = reference_closure(&edges);
        let schema = schema_for(&closure);
        for (a, &expected) in closure.iter().enumerate() {
            let granted = schema.grant([role_name(a).as_str()], []);
            prop_assert_eq!(granted.roles().bits(), expected, "granting role {}", a);
            prop_assert!(granted.scopes().is_empty());
        }
        let subset = declared(mask, edges.len());
        let names: Vec<String> = (0..edges.len()).filter(|&i| has(subset, i)).map(role_name).collect();
        let granted = schema.grant(names.iter().map(String::as_str), []);
        prop_assert_eq!(granted.roles().bits(), closure_of(&closure, subset));
    }
}

// ---------------------------------------------------------------------------
// Exact-name granting
// ---------------------------------------------------------------------------

const ROLE_NAMES: &[&str] = &["admin", "editor", "viewer"];
const SCOPE_NAMES: &[&str] = &["posts:read", "posts:write"];

static SCHEMA: Schema = Schema::new(
    ROLE_NAMES,
    &[RoleSet::from_bits(0b111), RoleSet::from_bits(0b110), RoleSet::from_bits(0b100)],
    SCOPE_NAMES,
    &[ScopeSet::from_bits(0b11), ScopeSet::from_bits(0b11), ScopeSet::from_bits(0b01)],
);

/// Names that are close to, but mostly not exactly, a declared role or scope:
/// case changes, suffixes, prefixes, truncations and unrelated text.
fn near_miss() -> impl Strategy<Value = String> {
    let any_declared = || prop::sample::select([ROLE_NAMES, SCOPE_NAMES].concat());
    prop_oneof![
        text(12),
        (any_declared(), any::<u64>()).prop_map(|(name, mask)| flip_case(name, mask)),
        (any_declared(), "[a-zA-Z0-9 _:]{1,3}")
            .prop_map(|(name, suffix)| format!("{name}{suffix}")),
        (any_declared(), "[a-zA-Z0-9 _:]{1,3}")
            .prop_map(|(name, prefix)| format!("{prefix}{name}")),
        (any_declared(), 0usize..10)
            .prop_map(|(name, keep)| name[..keep.min(name.len() - 1)].to_owned()),
    ]
}

proptest! {
    #[test]
    fn grant_ignores_names_not_declared_exactly(
        mut roles in prop::collection::vec(near_miss(), 0..6),
        mut scopes in prop::collection::vec(near_miss(), 0..6),
        role_mask in 0u8..8,
        scope_mask in 0u8..4,
    ) {
        roles.retain(|name| !ROLE_NAMES.contains(&name.as_str()));
        scopes.retain(|name| !SCOPE_NAMES.contains(&name.as_str()));

        let junk = SCHEMA.grant(roles.iter().map(String::as_str), scopes.iter().map(String::as_str));
        prop_assert_eq!(junk, Granted::default());

        // Mixed with real names, the near misses add nothing.
        let real_roles: Vec<&str> =
            (0..ROLE_NAMES.len()).filter(|&i| has(u128::from(role_mask), i)).map(|i| ROLE_NAMES[i]).collect();
        let real_scopes: Vec<&str> =
            (0..SCOPE_NAMES.len()).filter(|&i| has(u128::from(scope_mask), i)).map(|i| SCOPE_NAMES[i]).collect();
        let exact = SCHEMA.grant(real_roles.iter().copied(), real_scopes.iter().copied());
        let mixed = SCHEMA.grant(
            real_roles.iter().copied().chain(roles.iter().map(String::as_str)),
            real_scopes.iter().copied().chain(scopes.iter().map(String::as_str)),
        );
        prop_assert_eq!(mixed, exact);
        prop_assert_eq!(exact.scopes().bits(), u128::from(scope_mask));
    }
}

// ---------------------------------------------------------------------------
// Requirement expressions
// ---------------------------------------------------------------------------

/// Atoms mostly use the first few indices so that random rights often satisfy
/// them.
const ATOMS: u8 = 6;

/// Random requirement trees. `with_not` allows `Not` nodes; `dead_ends`
/// allows empty `Any` and atoms past the bitset range, which no rights satisfy.
fn expr_tree(with_not: bool, dead_ends: bool) -> BoxedStrategy<Expr> {
    let index = if dead_ends {
        prop_oneof![9 => 0..ATOMS, 1 => any::<u8>()].boxed()
    } else {
        (0..ATOMS).boxed()
    };
    let leaf = prop_oneof![index.clone().prop_map(Expr::Role), index.prop_map(Expr::Scope)];
    let min_any = if dead_ends { 0 } else { 1 };
    leaf.prop_recursive(4, 32, 4, move |inner| {
        let all =
            prop::collection::vec(inner.clone(), 0..4).prop_map(|parts| Expr::All(leak(parts)));
        let any = prop::collection::vec(inner.clone(), min_any..4)
            .prop_map(|parts| Expr::Any(leak(parts)));
        if with_not {
            let not = inner.prop_map(|part| Expr::Not(Box::leak(Box::new(part))));
            prop_oneof![all, any, not].boxed()
        } else {
            prop_oneof![all, any].boxed()
        }
    })
    .boxed()
}

/// Trees over three roles and three scopes, so that the same atom often
/// appears twice (and tautologies and contradictions are common).
fn small_expr(with_not: bool) -> BoxedStrategy<Expr> {
    let leaf = prop_oneof![(0u8..3).prop_map(Expr::Role), (0u8..3).prop_map(Expr::Scope)];
    leaf.prop_recursive(3, 12, 3, move |inner| {
        let all =
            prop::collection::vec(inner.clone(), 1..3).prop_map(|parts| Expr::All(leak(parts)));
        let any =
            prop::collection::vec(inner.clone(), 1..3).prop_map(|parts| Expr::Any(leak(parts)));
        if with_not {
            let not = inner.prop_map(|part| Expr::Not(Box::leak(Box::new(part))));
            prop_oneof![all, any, not].boxed()
        } else {
            prop_oneof![all, any].boxed()
        }
    })
    .boxed()
}

fn expr() -> BoxedStrategy<Expr> {
    expr_tree(true, true)
}

/// Random rights: raw role and scope bits (roles taken as already closed).
fn granted() -> impl Strategy<Value = (u128, u128)> {
    (any::<u128>(), any::<u128>())
}

fn rights((roles, scopes): (u128, u128)) -> Granted {
    Granted::new(RoleSet::from_bits(roles), ScopeSet::from_bits(scopes))
}

/// The plain meaning of an expression.
fn holds(expr: &Expr, roles: u128, scopes: u128) -> bool {
    match *expr {
        Expr::Role(index) => has(roles, usize::from(index)),
        Expr::Scope(index) => has(scopes, usize::from(index)),
        Expr::All(parts) => parts.iter().all(|part| holds(part, roles, scopes)),
        Expr::Any(parts) => parts.iter().any(|part| holds(part, roles, scopes)),
        Expr::Not(inner) => !holds(inner, roles, scopes),
    }
}

/// Role and scope bits of every atom the expression mentions.
fn reference_atoms(expr: &Expr) -> (u128, u128) {
    match *expr {
        Expr::Role(index) => (bit(usize::from(index)), 0),
        Expr::Scope(index) => (0, bit(usize::from(index))),
        Expr::All(parts) | Expr::Any(parts) => parts.iter().fold((0, 0), |(r, s), part| {
            let (pr, ps) = reference_atoms(part);
            (r | pr, s | ps)
        }),
        Expr::Not(inner) => reference_atoms(inner),
    }
}

fn reference_has_empty_list(expr: &Expr) -> bool {
    match *expr {
        Expr::Role(_) | Expr::Scope(_) => false,
        Expr::All(parts) | Expr::Any(parts) => {
            parts.is_empty() || parts.iter().any(reference_has_empty_list)
        }
        Expr::Not(inner) => reference_has_empty_list(inner),
    }
}

/// Coverage by brute force: every set of roles a token may hold (closed
/// under inheritance) with every set of scopes.
fn reference_coverage(expr: &Expr, closure: &[u128], scopes: usize) -> Coverage {
    let (atom_roles, atom_scopes) = reference_atoms(expr);
    if atom_roles >> closure.len() != 0 || atom_scopes >> scopes != 0 {
        return Coverage::Undeclared;
    }
    if reference_has_empty_list(expr) {
        return Coverage::Empty;
    }
    let (mut passes, mut fails) = (false, false);
    for direct in 0..1u128 << closure.len() {
        let roles = closure_of(closure, direct);
        for held_scopes in 0..1u128 << scopes {
            if holds(expr, roles, held_scopes) {
                passes = true;
            } else {
                fails = true;
            }
        }
    }
    match (passes, fails) {
        (true, false) => Coverage::Every,
        (false, true) => Coverage::None,
        _ => Coverage::Some,
    }
}

fn all(parts: Vec<Expr>) -> Expr {
    Expr::All(leak(parts))
}

fn any_of(parts: Vec<Expr>) -> Expr {
    Expr::Any(leak(parts))
}

fn not(part: Expr) -> Expr {
    Expr::Not(Box::leak(Box::new(part)))
}

/// The meaning of an expression for a token whose scopes are limited:
/// a scope meets a requirement when it is within the limit (`usable`) and
/// counts against a `not(…)` when the token carries it (`carried`), each
/// negation swapping the two.
fn holds_limited(expr: &Expr, roles: u128, usable: u128, carried: u128) -> bool {
    match *expr {
        Expr::Role(index) => has(roles, usize::from(index)),
        Expr::Scope(index) => has(usable, usize::from(index)),
        Expr::All(parts) => parts.iter().all(|part| holds_limited(part, roles, usable, carried)),
        Expr::Any(parts) => parts.iter().any(|part| holds_limited(part, roles, usable, carried)),
        Expr::Not(inner) => !holds_limited(inner, roles, carried, usable),
    }
}

proptest! {
    #[test]
    fn limited_scopes_agree_with_reference_evaluator(
        e in expr(), g in granted(), allowed in any::<u128>(),
    ) {
        let limited = rights(g).limit_scopes(ScopeSet::from_bits(allowed));
        prop_assert_eq!(limited.carried_scopes().bits(), g.1);
        prop_assert_eq!(limited.scopes().bits(), g.1 & allowed);
        prop_assert_eq!(e.allows(&limited), holds_limited(&e, g.0, g.1 & allowed, g.1));
    }

    #[test]
    fn a_scope_limit_never_lets_through_what_the_token_alone_is_refused(
        e in expr(), g in granted(), allowed in any::<u128>(),
    ) {
        let limited = rights(g).limit_scopes(ScopeSet::from_bits(allowed));
        prop_assert!(!e.allows(&limited) || e.allows(&rights(g)));
    }
}

proptest! {
    #[test]
    fn evaluate_agrees_with_reference_evaluator(e in expr(), g in granted()) {
        prop_assert_eq!(e.evaluate(&rights(g)).is_ok(), holds(&e, g.0, g.1));
        prop_assert_eq!(e.allows(&rights(g)), holds(&e, g.0, g.1));
    }

    #[test]
    fn atoms_are_every_mentioned_role_and_scope(e in expr()) {
        let (roles, scopes) = e.atoms();
        prop_assert_eq!((roles.bits(), scopes.bits()), reference_atoms(&e));
    }

    #[test]
    fn all_of_two_is_and(a in expr(), b in expr(), g in granted()) {
        let g = rights(g);
        prop_assert_eq!(all(vec![a, b]).allows(&g), a.allows(&g) && b.allows(&g));
    }

    #[test]
    fn any_of_two_is_or(a in expr(), b in expr(), g in granted()) {
        let g = rights(g);
        prop_assert_eq!(any_of(vec![a, b]).allows(&g), a.allows(&g) || b.allows(&g));
    }

    #[test]
    fn not_is_negation(a in expr(), g in granted()) {
        let g = rights(g);
        prop_assert_eq!(not(a).allows(&g), !a.allows(&g));
    }

    #[test]
    fn double_negation_cancels(a in expr(), g in granted()) {
        let g = rights(g);
        prop_assert_eq!(not(not(a)).allows(&g), a.allows(&g));
    }

    #[test]
    fn de_morgan_not_all_is_any_of_nots(a in expr(), b in expr(), g in granted()) {
        let g = rights(g);
        prop_assert_eq!(not(all(vec![a, b])).allows(&g), any_of(vec![not(a), not(b)]).allows(&g));
    }

    #[test]
    fn de_morgan_not_any_is_all_of_nots(a in expr(), b in expr(), g in granted()) {
        let g = rights(g);
        prop_assert_eq!(not(any_of(vec![a, b])).allows(&g), all(vec![not(a), not(b)]).allows(&g));
    }

    #[test]
    fn coverage_agrees_with_every_token_tried(
        edges in dag_up_to(5),
        e in prop_oneof![expr_tree(true, false), small_expr(true), small_expr(false)],
    ) {
        let closure = reference_closure(&edges);
        let schema = schema_with_scopes(&closure, 3);
        prop_assert_eq!(e.coverage(&schema), reference_coverage(&e, &closure, 3), "{:?}", e);
    }

    #[test]
    fn empty_all_always_holds(g in granted()) {
        prop_assert_eq!(Expr::All(&[]).evaluate(&rights(g)), Ok(()));
    }

    #[test]
    fn empty_any_never_holds(g in granted()) {
        prop_assert!(Expr::Any(&[]).evaluate(&rights(g)).is_err());
    }

    #[test]
    fn denial_names_only_mentioned_atoms_that_are_not_held(e in expr(), g in granted()) {
        let Err(denial) = e.evaluate(&rights(g)) else {
            return Ok(());
        };
        let (atom_roles, atom_scopes) = reference_atoms(&e);
        let missing_roles = denial.missing_roles().bits();
        let missing_scopes = denial.missing_scopes().bits();
        prop_assert_eq!(missing_roles & !atom_roles, 0, "missing roles not in the expression");
        prop_assert_eq!(missing_scopes & !atom_scopes, 0, "missing scopes not in the expression");
        prop_assert_eq!(missing_roles & g.0, 0, "a missing role is held");
        prop_assert_eq!(missing_scopes & g.1, 0, "a missing scope is held");
        prop_assert_eq!(denial.forbidden_roles().bits() & !(atom_roles & g.0), 0);
        prop_assert_eq!(denial.forbidden_scopes().bits() & !(atom_scopes & g.1), 0);
    }

    #[test]
    fn adding_rights_never_denies_a_not_free_requirement(
        e in expr_tree(false, true),
        g in granted(),
        extra in granted(),
    ) {
        let before = rights(g);
        let after = rights((g.0 | extra.0, g.1 | extra.1));
        if e.allows(&before) {
            prop_assert!(e.allows(&after), "allowed with {:?}, denied with {:?}", before, after);
        }
        // Equivalently: removing rights never turns deny into allow.
        if !e.allows(&after) {
            prop_assert!(!e.allows(&before));
        }
    }

    #[test]
    fn granting_what_a_not_free_denial_misses_allows(e in expr_tree(false, false), g in granted()) {
        let Err(denial) = e.evaluate(&rights(g)) else {
            return Ok(());
        };
        let fixed = rights((g.0 | denial.missing_roles().bits(), g.1 | denial.missing_scopes().bits()));
        prop_assert!(e.allows(&fixed), "{:?} still denied with {:?}", denial, fixed);
    }
}

// ---------------------------------------------------------------------------
// Suggestions and messages
// ---------------------------------------------------------------------------

proptest! {
    #[test]
    fn distance_is_symmetric((a, b) in string_pair()) {
        prop_assert_eq!(distance(&a, &b), distance(&b, &a));
    }

    #[test]
    fn distance_is_zero_only_for_equal_strings((a, b) in string_pair()) {
        let d = distance(&a, &b);
        if a.len() > MAX_SUGGEST_LEN || b.len() > MAX_SUGGEST_LEN {
            prop_assert_eq!(d, usize::MAX);
        } else {
            prop_assert_eq!(d == 0, a == b, "distance({:?}, {:?}) = {}", a, b, d);
        }
    }

    #[test]
    fn closest_never_panics_and_picks_the_first_nearest(
        name in prop_oneof![name(), text(300)],
        mut declared in prop::collection::vec(prop_oneof![name(), text(300)], 0..5),
        at in 0usize..6,
        mask in any::<u64>(),
        variant in 0u8..3,
        twice in prop::option::of(0usize..7),
    ) {
        // Plant a near miss of `name` (or `name` itself) among the declared names.
        let planted = match variant {
            0 => flip_case(&name, mask),
            1 => format!("{name}x"),
            _ => name.clone(),
        };
        // Sometimes plant it twice, so that ties must go to the first.
        if let Some(again) = twice {
            declared.insert(again.min(declared.len()), planted.clone());
        }
        declared.insert(at.min(declared.len()), planted);
        let declared: Vec<&str> = declared.iter().map(String::as_str).collect();

        let allowed = 2 * (name.len() / 3).max(1);
        let d: Vec<usize> = declared.iter().map(|candidate| distance(candidate, &name)).collect();
        match closest(&declared, &name) {
            Some(i) => {
                prop_assert!(i < declared.len());
                prop_assert!(d[i] <= allowed);
                prop_assert!(d.iter().all(|&other| other >= d[i]), "a closer name exists");
                prop_assert!(d[..i].iter().all(|&other| other > d[i]), "an earlier name is as close");
            }
            None => prop_assert!(d.iter().all(|&other| other > allowed), "a close enough name was refused"),
        }
    }

    #[test]
    fn const_message_is_the_pushed_text_cut_at_char_boundaries(
        pieces in prop::collection::vec(prop_oneof![text(200), "[aé€😀]{0,300}"], 0..8),
    ) {
        // Model: each push appends the longest prefix of its text that ends on
        // a character boundary and fits in the 512 bytes left.
        let mut expected = String::new();
        let mut message = ConstMessage::new();
        for piece in &pieces {
            message = message.push(piece);
            let mut end = piece.len().min(512 - expected.len());
            while !piece.is_char_boundary(end) {
                end -= 1;
            }
            expected.push_str(&piece[..end]);
        }
        // `as_str` falls back to "" on invalid UTF-8, so equality with the
        // model is what shows the bytes are valid.
        prop_assert!(message.as_str().len() <= 512);
        prop_assert_eq!(message.as_str(), expected.as_str());
    }
}

// ---------------------------------------------------------------------------
// Scope tokens
// ---------------------------------------------------------------------------

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
fn rfc6749_scope_token(name: &str) -> bool {
    !name.is_empty()
        && name.chars().all(|c| {
            c == '\u{21}'
                || ('\u{23}'..='\u{5B}').contains(&c)
                || ('\u{5D}'..='\u{7E}').contains(&c)
        })
}

proptest! {
    #[test]
    fn is_scope_token_matches_rfc6749_grammar(
        name in prop_oneof![text(16), "[\\x00-\\x7F]{0,12}", "[!-~]{0,12}", "[ -~\\x80-\\u{FF}]{0,6}"],
    ) {
        prop_assert_eq!(is_scope_token(&name), rfc6749_scope_token(&name), "{:?}", name);
    }
}

// ---------------------------------------------------------------------------
// Coverage: named cases
// ---------------------------------------------------------------------------

/// admin (0) ⊇ editor (1) ⊇ viewer (2); scopes read (0), write (1).
static HIERARCHY: Schema = Schema::new(
    &["admin", "editor", "viewer"],
    &[RoleSet::from_bits(0b111), RoleSet::from_bits(0b110), RoleSet::from_bits(0b100)],
    &["read", "write"],
    &[],
);

#[test]
fn a_role_or_a_scope_guards() {
    assert_eq!(Expr::Role(0).coverage(&HIERARCHY), Coverage::Some);
    assert_eq!(Expr::Scope(1).coverage(&HIERARCHY), Coverage::Some);
    assert_eq!(Expr::Not(&Expr::Role(0)).coverage(&HIERARCHY), Coverage::Some);
}

#[test]
fn a_role_or_its_absence_covers_every_token() {
    let either = Expr::Any(&[Expr::Scope(0), Expr::Not(&Expr::Scope(0))]);
    assert_eq!(either.coverage(&HIERARCHY), Coverage::Every);
}

#[test]
fn an_inherited_role_or_not_its_heir_covers_every_token() {
    // Every admin is a viewer.
    let viewer_or_not_admin = Expr::Any(&[Expr::Role(2), Expr::Not(&Expr::Role(0))]);
    assert_eq!(viewer_or_not_admin.coverage(&HIERARCHY), Coverage::Every);
    // Not every viewer is an admin.
    let admin_or_not_viewer = Expr::Any(&[Expr::Role(0), Expr::Not(&Expr::Role(2))]);
    assert_eq!(admin_or_not_viewer.coverage(&HIERARCHY), Coverage::Some);
}

#[test]
fn a_role_without_what_it_inherits_covers_no_token() {
    let admin_not_editor = Expr::All(&[Expr::Role(0), Expr::Not(&Expr::Role(1))]);
    assert_eq!(admin_not_editor.coverage(&HIERARCHY), Coverage::None);
    let scope_and_not = Expr::All(&[Expr::Scope(1), Expr::Not(&Expr::Scope(1))]);
    assert_eq!(scope_and_not.coverage(&HIERARCHY), Coverage::None);
}

#[test]
fn an_empty_list_anywhere_is_reported() {
    assert_eq!(Expr::All(&[]).coverage(&HIERARCHY), Coverage::Empty);
    assert_eq!(Expr::Any(&[]).coverage(&HIERARCHY), Coverage::Empty);
    let nested = Expr::All(&[Expr::Role(0), Expr::Any(&[])]);
    assert_eq!(nested.coverage(&HIERARCHY), Coverage::Empty);
}

#[test]
fn an_undeclared_index_is_reported_before_anything_else() {
    assert_eq!(Expr::Role(3).coverage(&HIERARCHY), Coverage::Undeclared);
    assert_eq!(Expr::Scope(u8::MAX).coverage(&HIERARCHY), Coverage::Undeclared);
    assert_eq!(
        Expr::All(&[Expr::Role(9), Expr::Any(&[])]).coverage(&HIERARCHY),
        Coverage::Undeclared
    );
}

#[test]
fn too_many_atoms_under_not_are_not_decided() {
    static WIDE: Schema = Schema::new(
        &["r0", "r1", "r2", "r3", "r4", "r5", "r6"],
        &[],
        &["s0", "s1", "s2", "s3", "s4", "s5"],
        &[],
    );
    const TWELVE: &[Expr] = &[
        Expr::Role(0),
        Expr::Role(1),
        Expr::Role(2),
        Expr::Role(3),
        Expr::Role(4),
        Expr::Role(5),
        Expr::Scope(0),
        Expr::Scope(1),
        Expr::Scope(2),
        Expr::Scope(3),
        Expr::Scope(4),
        Expr::Scope(5),
    ];
    const THIRTEEN: &[Expr] = &[
        Expr::Role(0),
        Expr::Role(1),
        Expr::Role(2),
        Expr::Role(3),
        Expr::Role(4),
        Expr::Role(5),
        Expr::Role(6),
        Expr::Scope(0),
        Expr::Scope(1),
        Expr::Scope(2),
        Expr::Scope(3),
        Expr::Scope(4),
        Expr::Scope(5),
    ];
    assert_eq!(Expr::Not(&Expr::All(TWELVE)).coverage(&WIDE), Coverage::Some);
    assert_eq!(Expr::Not(&Expr::All(THIRTEEN)).coverage(&WIDE), Coverage::TooLarge);
    // Without `not`, any width is decided.
    assert_eq!(Expr::All(THIRTEEN).coverage(&WIDE), Coverage::Some);
}

#[test]
fn coverage_is_decided_in_const_evaluation() {
    const VERDICT: Coverage =
        Expr::Any(&[Expr::Role(2), Expr::Not(&Expr::Role(0))]).coverage(&HIERARCHY);
    assert_eq!(VERDICT, Coverage::Every);
}

/// 128 roles, each implying only itself.
const fn single_closures() -> [RoleSet; 128] {
    let mut sets = [RoleSet::EMPTY; 128];
    let mut i = 0;
    while i < 128 {
        sets[i] = RoleSet::single(i);
        i += 1;
    }
    sets
}

static MANY_NAMES: [&str; 128] = ["role"; 128];
static MANY_CLOSURES: [RoleSet; 128] = single_closures();
static MANY_ROLES: Schema = Schema::new(&MANY_NAMES, &MANY_CLOSURES, &[], &[]);

#[test]
fn coverage_under_a_128_role_schema_stays_within_const_evaluation() {
    // Twelve atoms under `not(…)`, the most decided, on the largest schema:
    // rustc's const evaluator must finish both without its lint firing.
    const NONE_OF_TWELVE: Coverage = Expr::All(&[
        Expr::Not(&Expr::Role(0)),
        Expr::Not(&Expr::Role(1)),
        Expr::Not(&Expr::Role(2)),
        Expr::Not(&Expr::Role(3)),
        Expr::Not(&Expr::Role(4)),
        Expr::Not(&Expr::Role(5)),
        Expr::Not(&Expr::Role(6)),
        Expr::Not(&Expr::Role(7)),
        Expr::Not(&Expr::Role(8)),
        Expr::Not(&Expr::Role(9)),
        Expr::Not(&Expr::Role(10)),
        Expr::Not(&Expr::Role(11)),
    ])
    .coverage(&MANY_ROLES);
    const ELEVEN_BUT_NOT_ONE: Coverage = Expr::All(&[
        Expr::Role(0),
        Expr::Role(1),
        Expr::Role(2),
        Expr::Role(3),
        Expr::Role(4),
        Expr::Role(5),
        Expr::Role(6),
        Expr::Role(7),
        Expr::Role(8),
        Expr::Role(9),
        Expr::Role(10),
        Expr::Not(&Expr::Role(127)),
    ])
    .coverage(&MANY_ROLES);
    assert_eq!(NONE_OF_TWELVE, Coverage::Some);
    assert_eq!(ELEVEN_BUT_NOT_ONE, Coverage::Some);
}

// ---------------------------------------------------------------------------
// Scope alternatives
// ---------------------------------------------------------------------------

proptest! {
    /// Every token that passes holds one of the alternatives; when they are
    /// exact, every token that holds one passes; none includes another.
    #[test]
    fn scope_alternatives_say_what_a_passing_token_holds(
        expr in small_expr(true),
        roles in 0u128..8,
        scopes in 0u128..8,
    ) {
        let alternatives = expr.scope_alternatives();
        let sets = alternatives.sets();
        let holds_one = sets.iter().any(|set| set.bits() & !scopes == 0);
        if holds(&expr, roles, scopes) {
            prop_assert!(holds_one, "{expr:?} passes {roles:b}/{scopes:b} outside {sets:?}");
        }
        if alternatives.is_exact() {
            prop_assert_eq!(holds_one, holds(&expr, roles, scopes), "{:?}", expr);
            prop_assert_eq!(reference_atoms(&expr).0, 0, "exact only without roles");
        }
        for (i, a) in sets.iter().enumerate() {
            for (j, b) in sets.iter().enumerate() {
                prop_assert!(i == j || !a.is_subset(*b), "{sets:?} holds a superset");
            }
        }
    }
}
