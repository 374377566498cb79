//! Fixed-size bitsets indexed by a role's or a scope's declaration order.

use core::fmt;
use core::marker::PhantomData;

/// The most roles, and separately the most scopes, a [`Schema`](crate::Schema)
/// may declare: one bit each in a `u128`.
pub const MAX_NAMES: usize = 128;

/// A set of declaration indices, at most [`MAX_NAMES`] of them. `Tag` keeps role
/// sets and scope sets from being mixed up.
pub struct Bits<Tag> {
    bits: u128,
    _tag: PhantomData<fn() -> Tag>,
}

/// Tag for role indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleTag {}
/// Tag for scope indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeTag {}

/// A set of role indices.
pub type RoleSet = Bits<RoleTag>;
/// A set of scope indices.
pub type ScopeSet = Bits<ScopeTag>;

impl<Tag> Bits<Tag> {
    /// The empty set.
    pub const EMPTY: Self = Self::from_bits(0);

    /// A set from its raw bits (bit `i` set means index `i` is in the set).
    pub const fn from_bits(bits: u128) -> Self {
        Self { bits, _tag: PhantomData }
    }

    /// The raw bits.
    pub const fn bits(self) -> u128 {
        self.bits
    }

    /// The set holding only `index`; empty when `index` is out of range.
    pub const fn single(index: usize) -> Self {
        if index < MAX_NAMES { Self::from_bits(1u128 << index) } else { Self::EMPTY }
    }

    /// Whether `index` is in the set.
    pub const fn contains(self, index: usize) -> bool {
        index < MAX_NAMES && self.bits & (1u128 << index) != 0
    }

    /// The set with `index` added (unchanged when out of range).
    #[must_use]
    pub const fn with(self, index: usize) -> Self {
        self.union(Self::single(index))
    }

    /// Union of two sets.
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self::from_bits(self.bits | other.bits)
    }

    /// Intersection of two sets.
    #[must_use]
    pub const fn intersection(self, other: Self) -> Self {
        Self::from_bits(self.bits & other.bits)
    }

    /// The indices of `self` that are not in `other`.
    ///
    /// ```
    /// use rbac_core::ScopeSet;
    /// let held = ScopeSet::from_bits(0b110);
    /// assert_eq!(held.difference(ScopeSet::from_bits(0b011)), ScopeSet::from_bits(0b100));
    /// ```
    #[must_use]
    pub const fn difference(self, other: Self) -> Self {
        Self::from_bits(self.bits & !other.bits)
    }

    /// Whether every index of `self` is in `other`.
    pub const fn is_subset(self, other: Self) -> bool {
        self.bits & !other.bits == 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.bits == 0
    }

    /// Number of indices in the set.
    pub const fn len(self) -> usize {
        self.bits.count_ones() as usize
    }

    /// The indices in ascending order.
    pub fn iter(self) -> impl Iterator<Item = usize> {
        let mut rest = self.bits;
        core::iter::from_fn(move || {
            if rest == 0 {
                return None;
            }
            let index = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            Some(index)
        })
    }
}

// Manual impls: derives would put bounds on `Tag`.
impl<Tag> Clone for Bits<Tag> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<Tag> Copy for Bits<Tag> {}
impl<Tag> PartialEq for Bits<Tag> {
    fn eq(&self, other: &Self) -> bool {
        self.bits == other.bits
    }
}
impl<Tag> Eq for Bits<Tag> {}
impl<Tag> Default for Bits<Tag> {
    fn default() -> Self {
        Self::EMPTY
    }
}
impl<Tag> core::hash::Hash for Bits<Tag> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.bits.hash(state);
    }
}
impl<Tag> fmt::Debug for Bits<Tag> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}
